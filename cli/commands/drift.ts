// `duckmig drift` (local mode): compares the database's live schema with the schema its
// applied migrations produce on an empty in-memory database, and prints what is extra,
// missing or changed. Exit 0 when there is no drift, 1 when there is (or when it cannot be
// checked: an applied file is gone or changed).
import type { DriftReport } from '../../contract/index.js';
import { commonOptions, dbPath, migrationsDir, parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { printJson, renderDrift, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig drift [--db PATH] [--dir PATH] [--json]   (or --api URL --token TOKEN)';

/** 0 when the schema is known to be what the migrations produce, 1 otherwise. */
export function driftExitCode(report: DriftReport | null): number {
  return report !== null && report.error === null && !report.drifted ? EXIT.ok : EXIT.failed;
}

export async function drift(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, commonOptions);
  const report = await withLocalRunner({ db: dbPath(values.db, ctx.env), dir: migrationsDir(values.dir, ctx.env), logger: ctx.logger, env: ctx.env }, async (runner, db, checker) => {
    const applied = await runner.getAppliedFiles();
    return checker.check(db.connection, applied);
  });
  if (values.json) printJson(report, out);
  else out.write(renderDrift(report));
  return driftExitCode(report);
}
