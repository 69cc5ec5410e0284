// `duckmig schema`: the database's schema (tables with columns, constraints, indexes and
// row counts; views, macros, sequences), or the schema at an applied version (its applied
// files replayed on an empty in-memory database), or the diff between two applied versions.
import { diffSchema, schemaObjects, type AppliedFile, type DatabaseSchema } from '../../contract/index.js';
import { cliMigrationLimits } from '../../config/cli.js';
import { FileMigrationSource, LEDGER_TABLES, readDatabaseSchema, replaySchema } from '../../core/index.js';
import { commonOptions, dbPath, migrationsDir, parse, type Options } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { printJson, renderSchemaDiff, table, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig schema [--version N | --diff A..B] [--db PATH] [--dir PATH] [--json]';

export const options = {
  ...commonOptions,
  version: { type: 'string' },
  diff: { type: 'string' },
} as const satisfies Options;

function parseVersion(value: string, what: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${what} must be a migration number such as 3, got "${value}"`);
  return Number(value);
}

function parseDiff(value: string): [number, number] {
  const match = /^(\d+)\.\.(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--diff takes two applied versions as A..B, e.g. 2..4, got "${value}"`);
  return [parseVersion(match[1]!, '--diff'), parseVersion(match[2]!, '--diff')];
}

/** The applied files up to `version`; refuses a version that is not applied. */
function appliedUpTo(applied: readonly AppliedFile[], version: number): AppliedFile[] {
  if (version > 0 && !applied.some((f) => f.version === version)) {
    throw new Error(`version ${version} is not applied${applied.length ? ` (applied: ${applied.map((f) => f.version).join(', ')})` : ''}`);
  }
  return applied.filter((f) => f.version <= version);
}

export function renderSchema(schema: DatabaseSchema): string {
  const parts: string[] = [];
  for (const t of schema.tables) {
    const rows = t.rows ? (t.rows.exact !== null ? `, ${t.rows.exact} rows` : `, about ${t.rows.estimated} rows`) : '';
    parts.push(`table ${t.name} (${t.columns.length} columns${rows})\n`);
    parts.push(table(['column', 'type', 'null', 'default'], t.columns.map((c) => [c.name, c.type, c.nullable ? '' : 'NOT NULL', c.default ?? ''])).replace(/^(?=.)/gm, '  '));
    for (const c of t.constraints.filter((k) => k.kind !== 'NOT NULL')) parts.push(`  ${c.text}\n`);
    for (const i of t.indexes) parts.push(`  index ${i.name}${i.unique ? ' UNIQUE' : ''} on ${i.expressions}\n`);
    parts.push('\n');
  }
  for (const v of schema.views) parts.push(`view ${v.name}: ${v.sql}\n`);
  for (const m of schema.macros) parts.push(`macro ${m.name}(${m.parameters.join(', ')})${m.table ? ' AS TABLE' : ''}: ${m.definition.replace(/\s+/g, ' ')}\n`);
  for (const s of schema.sequences) parts.push(`sequence ${s.name} START ${s.start} INCREMENT ${s.increment}\n`);
  parts.push(`${schema.tables.length} tables, ${schema.views.length} views, ${schema.macros.length} macros, ${schema.sequences.length} sequences (not listed: ${schema.excluded.join(', ')})\n`);
  return parts.join('');
}

export async function schema(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  if (values.version !== undefined && values.diff !== undefined) throw new UsageError('give --version or --diff, not both');
  const dir = migrationsDir(values.dir, ctx.env);
  const version = values.version === undefined ? undefined : parseVersion(values.version, '--version');
  const diff = values.diff === undefined ? undefined : parseDiff(values.diff);

  const { live, currentVersion, applied } = await withLocalRunner({ db: dbPath(values.db, ctx.env), dir, logger: ctx.logger, env: ctx.env }, async (runner, db) => {
    const report = await runner.status();
    const appliedFiles = report.applied.map(({ version: v, checksum }) => ({ version: v, checksum })).sort((a, b) => a.version - b.version);
    const wanted = version === undefined && diff === undefined;
    return {
      currentVersion: report.currentVersion,
      applied: appliedFiles,
      live: wanted ? await readDatabaseSchema(db.connection, { exclude: LEDGER_TABLES, rowCounts: true }) : null,
    };
  });

  const limits = cliMigrationLimits(ctx.env);
  const replay = (v: number) => replaySchema({ source: new FileMigrationSource(dir, { maxFileBytes: limits.maxFileBytes }), applied: appliedUpTo(applied, v), allowedPaths: limits.allowedPaths });

  if (diff) {
    const [from, to] = diff;
    const [before, after] = await Promise.all([replay(from), replay(to)]);
    const changes = diffSchema(schemaObjects(before), schemaObjects(after));
    if (values.json) printJson({ from, to, changes }, out);
    else out.write(`from version ${from} to version ${to}\n${renderSchemaDiff(changes)}`);
    return EXIT.ok;
  }
  if (version !== undefined) {
    const replayed = { ...(await replay(version)), version };
    if (values.json) printJson(replayed, out);
    else out.write(`schema at version ${version} (its applied files replayed on an empty database)\n\n${renderSchema(replayed)}`);
    return EXIT.ok;
  }
  const body = { ...live!, version: currentVersion };
  if (values.json) printJson(body, out);
  else out.write(`schema of the database at version ${currentVersion}\n\n${renderSchema(body)}`);
  return EXIT.ok;
}
