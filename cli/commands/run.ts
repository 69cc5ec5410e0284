// `duckmig run` (local mode): applies pending migrations with a progress bar on a terminal
// (a progress line per migration elsewhere) and a summary table. Ctrl-C interrupts the running statement and rolls its
// migration back. --plan refuses the run when the pending files are not the dry-run's; a
// database whose schema drifted is refused unless --allow-drift.
// Exit 0 when applied or nothing to do, 1 when refused, failed or cancelled.
import { cliCheckpoint, cliUser } from '../../config/cli.js';
import { restorePointsFrom, restoreSettings } from '../../config/restore-settings.js';
import { CheckpointPolicyError, parseCheckpointPolicy, type CheckpointPolicy } from '../../core/index.js';
import { allowPathOption, commonOptions, dbPath, migrationsDir, parse, parsePlan, parseTarget } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { interruptSignal, withLocalRunner } from '../local.js';
import { localProgress } from '../local-progress.js';
import { printJson, renderProblems, renderRunSummary, stderr, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage =
  'duckmig run [--db PATH] [--dir PATH] [--target VERSION] [--plan PLAN_ID] [--all-or-nothing] [--checkpoint each|end|2s,64MB] [--allow-out-of-order] [--skip-restore-point] [--allow-drift] [--allow-path PATH]… [--reason TEXT] [--json]';

export const options = {
  ...commonOptions,
  ...allowPathOption,
  target: { type: 'string' },
  plan: { type: 'string' },
  'all-or-nothing': { type: 'boolean', default: false },
  checkpoint: { type: 'string' },
  'allow-out-of-order': { type: 'boolean', default: false },
  reason: { type: 'string' },
  'skip-restore-point': { type: 'boolean', default: false },
  'allow-drift': { type: 'boolean', default: false },
} as const;

export async function run(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  const target = parseTarget(values.target);
  const plan = parsePlan(values.plan);
  const checkpoint = checkpointPolicy(values.checkpoint, ctx.env);
  const interrupt = interruptSignal();
  const progress = localProgress(out);
  try {
    const result = await withLocalRunner(
      {
        db: dbPath(values.db, ctx.env),
        dir: migrationsDir(values.dir, ctx.env),
        logger: ctx.logger,
        env: ctx.env,
        checkpoint,
        allowOutOfOrder: values['allow-out-of-order'],
        allowPaths: values['allow-path'],
      },
      (runner, db, drift) => {
        if (!values.json) runner.events.onEvent(progress.onEvent, { statements: false });
        const settings = restoreSettings(dbPath(values.db, ctx.env), ctx.env);
        const points = restorePointsFrom(settings);
        return runner.run({
          beforeApply:
            settings.enabled && !values['skip-restore-point']
              ? async ({ fromVersion }) => {
                  const point = await points.create(db.connection, db.path, { version: fromVersion, reason: values.reason ?? 'before run' });
                  if (!point) ctx.logger.warn({ event: 'restore-point:skipped', sizeBytes: db.sizeBytes, maxBytes: settings.maxBytes }, 'database above DUCKMIG_RESTORE_MAX_MB: no restore point taken');
                  else if (!values.json) out.write(`restore point ${point.id} (${(point.sizeBytes / 1048576).toFixed(1)} MiB)\n`);
                  return point;
                }
              : undefined,
          target,
          plan,
          allOrNothing: values['all-or-nothing'],
          appliedBy: cliUser(ctx.env),
          reason: values.reason,
          signal: interrupt.signal,
          ...(!values['allow-drift'] && { driftCheck: (connection, applied) => drift.check(connection, applied) }),
        });
      },
    );
    progress.done();
    if (values.json) printJson(result, out);
    else {
      if (result.status === 'invalid') stderr.write(renderProblems(result.problems));
      out.write(renderRunSummary(result));
    }
    return result.status === 'success' || result.status === 'nothing-to-do' ? EXIT.ok : EXIT.failed;
  } finally {
    progress.done();
    interrupt.dispose();
  }
}

/** --checkpoint, else DUCKMIG_CHECKPOINT, else undefined (the runner's default budget). */
function checkpointPolicy(option: string | undefined, env: CommandContext['env']): CheckpointPolicy | undefined {
  if (option === undefined) return cliCheckpoint(env);
  try {
    return parseCheckpointPolicy(option);
  } catch (err) {
    if (err instanceof CheckpointPolicyError) throw new UsageError(`--checkpoint: ${err.message}`);
    throw err;
  }
}
