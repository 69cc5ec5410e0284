// `duckmig schema`: the database's schema (tables with columns, constraints, indexes and
// row counts; views, macros, sequences), or the schema at an applied version (its applied
// files replayed on an empty in-memory database), or the diff between two applied versions.
import { diffSchema, schemaObjects, type AppliedFile } from '../../contract/index.js';
import { cliMigrationLimits } from '../../config/cli.js';
import { FileMigrationSource, LEDGER_TABLES, readDatabaseSchema, replaySchema } from '../../core/index.js';
import { commonOptions, dbPath, migrationsDir, parse, parseDiff, parseVersion, type Options } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { printJson, renderSchema, renderSchemaDiff, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig schema [--version N | --diff A..B] [--db PATH] [--dir PATH] [--json]   (or --api URL --token TOKEN)';

export const options = {
  ...commonOptions,
  version: { type: 'string' },
  diff: { type: 'string' },
} as const satisfies Options;

/** The applied files up to `version`; refuses a version that is not applied. */
function appliedUpTo(applied: readonly AppliedFile[], version: number): AppliedFile[] {
  if (version > 0 && !applied.some((f) => f.version === version)) {
    throw new Error(`version ${version} is not applied${applied.length ? ` (applied: ${applied.map((f) => f.version).join(', ')})` : ''}`);
  }
  return applied.filter((f) => f.version <= version);
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
