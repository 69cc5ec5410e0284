// `duckmig restore <id>` (local mode): takes a restore point of the current state, puts the
// chosen one back in place of the database file, keeping the run history, and records the
// restore as a run.
import { cliUser } from '../../config/cli.js';
import { restorePointsFrom, restoreSettings, restoreStepHook } from '../../config/restore-settings.js';
import { Database, restoreDatabase } from '../../core/index.js';
import { commonOptions, dbPath, parse } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { lockAttempts } from '../local.js';
import { printJson, renderRunSummary, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig restore <restore-point-id> --yes [--db PATH] [--reason TEXT] [--json]   (list ids with `duckmig backup --list`)';

export const options = { ...commonOptions, yes: { type: 'boolean', default: false }, reason: { type: 'string' } } as const;

export async function restore(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values, positionals } = parse(argv, options, true);
  if (positionals.length !== 1) throw new UsageError('give the restore point id, e.g. `duckmig restore rp-20261125T154500123Z-a1b2c3 --yes`');
  if (!values.yes) throw new UsageError('restoring replaces the database with an older copy; add --yes to confirm');
  const settings = restoreSettings(dbPath(values.db, ctx.env), ctx.env);
  const points = restorePointsFrom(settings);
  const db = await Database.open(dbPath(values.db, ctx.env), { logger: ctx.logger, attempts: lockAttempts(ctx.env), restoreDir: settings.dir });
  let reopened: Database = db;
  try {
    const { db: after, result } = await restoreDatabase({
      db,
      points,
      id: positionals[0]!,
      requestedBy: cliUser(ctx.env),
      reason: values.reason,
      logger: ctx.logger,
      onStep: restoreStepHook(settings),
    });
    reopened = after;
    if (values.json) printJson(result, out);
    else if (result.status !== 'success') out.write(renderRunSummary(result));
    else {
      out.write(`restored ${positionals[0]}: version ${result.fromVersion} → ${result.toVersion}\n`);
      if (result.undoPoint) out.write(`  the previous state is restore point ${result.undoPoint.id} (restore it to undo this)\n`);
    }
    return result.status === 'success' ? EXIT.ok : EXIT.failed;
  } finally {
    await reopened.close();
  }
}
