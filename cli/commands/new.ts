// `duckmig new <name>`: creates the next numbered migration file from a template.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFileName } from '../../core/index.js';
import { commonOptions, migrationsDir, parse } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { printJson, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig new <name> [--dir PATH] [--json]   (name in snake_case, e.g. add_user_table)';

export function template(file: string): string {
  return `-- ${file}: <what this migration changes and why>
--
-- duckmig runs this whole file in one transaction together with its ledger row.
-- Keep it idempotent (IF NOT EXISTS / OR REPLACE) and remember DuckDB's ALTER limits:
-- on a table with any index (PRIMARY KEY and UNIQUE included) DROP COLUMN and ALTER TYPE
-- fail; rebuild the table instead (see docs/authoring.md). Check it with:
--   duckmig validate && duckmig dry-run --rehearse

`;
}

export async function newMigration(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values, positionals } = parse(argv, commonOptions, true);
  if (positionals.length !== 1) throw new UsageError('give exactly one name, e.g. `duckmig new add_user_table`');
  const name = positionals[0]!.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (!/^[a-z0-9]+(?:_[a-z0-9]+)*$/.test(name)) {
    throw new UsageError(`"${positionals[0]}" is not a valid migration name: use lower-case words joined by underscores, e.g. add_user_table`);
  }
  const dir = migrationsDir(values.dir, ctx.env);
  mkdirSync(dir, { recursive: true });
  // every layout duckmig reads counts (golang-migrate's, goose's timestamps, Flyway's V<n>__)
  const existing = readdirSync(dir).flatMap((f) => {
    const n = parseFileName(f);
    return n && n.role !== 'refused' ? [{ version: n.version, digits: /\d+/.exec(f)![0] }] : [];
  });
  const next = existing.reduce((max, m) => Math.max(max, m.version), 0) + 1;
  const width = Math.max(3, ...existing.map((m) => m.digits.length));
  const file = `${String(next).padStart(width, '0')}_${name}.sql`;
  const path = join(dir, file);
  if (existsSync(path)) throw new UsageError(`${path} already exists`);
  writeFileSync(path, template(file), { flag: 'wx' });
  if (values.json) printJson({ version: next, name, file, path }, out);
  else out.write(`created ${path}\n`);
  return EXIT.ok;
}
