// `duckmig undo --to N` (local mode): with --preview, rehearses the down scripts of the
// migrations applied above N on a copy of the database and shows the schema diff, the rows of
// the tables and columns they drop, and the plan id; with --yes, runs them (newest first, each
// in one transaction with its ledger row), after taking a restore point. Refused, with the
// restore point to go back to instead, when a migration in the range has no down script.
// Exit 0 when undone (or nothing to undo), 1 when refused, failed or cancelled.
import { cliUser } from '../../config/cli.js';
import { restorePointsFrom, restoreSettings } from '../../config/restore-settings.js';
import { allowPathOption, commonOptions, dbPath, migrationsDir, parse, parsePlan, parseUndoTarget } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { interruptSignal, withLocalRunner } from '../local.js';
import { localProgress } from '../local-progress.js';
import { printJson, renderProblems, renderRunSummary, stderr, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage =
  'duckmig undo --to VERSION (--preview | --yes [--plan PLAN_ID]) [--db PATH] [--dir PATH] [--reason TEXT] [--skip-restore-point] [--allow-path PATH]… [--json]';

export const options = {
  ...commonOptions,
  ...allowPathOption,
  to: { type: 'string' },
  preview: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  plan: { type: 'string' },
  reason: { type: 'string' },
  'skip-restore-point': { type: 'boolean', default: false },
} as const;

export async function undo(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  const to = parseUndoTarget(values.to);
  const plan = parsePlan(values.plan);
  if (values.preview && (values.yes || plan)) throw new UsageError('--preview changes nothing: give it alone, or --yes [--plan] to undo');
  if (!values.preview && !values.yes) throw new UsageError('undo drops what the down scripts drop, data included: preview it with --preview, then add --yes to confirm');
  const db = dbPath(values.db, ctx.env);
  const settings = restoreSettings(db, ctx.env);
  const points = restorePointsFrom(settings);
  const interrupt = interruptSignal();
  const progress = localProgress(out);
  try {
    const result = await withLocalRunner(
      { db, dir: migrationsDir(values.dir, ctx.env), logger: ctx.logger, env: ctx.env, allowPaths: values['allow-path'] },
      (runner, opened) => {
        if (!values.json) runner.events.onEvent(progress.onEvent, { statements: false });
        const restorePoints = async () => (await points.list(opened.path)).map(({ id, path, sizeBytes, checksum, createdAt, version, reason }) => ({ id, path, sizeBytes, checksum, createdAt, version, reason }));
        if (values.preview) return runner.previewUndo({ to, restorePoints, signal: interrupt.signal });
        return runner.undo({
          to,
          plan,
          appliedBy: cliUser(ctx.env),
          reason: values.reason,
          signal: interrupt.signal,
          restorePoints,
          beforeApply:
            settings.enabled && !values['skip-restore-point']
              ? async ({ fromVersion }) => {
                  const point = await points.create(opened.connection, opened.path, { version: fromVersion, reason: values.reason ?? 'before undo' });
                  if (point && !values.json) out.write(`restore point ${point.id} (${(point.sizeBytes / 1048576).toFixed(1)} MiB)\n`);
                  return point;
                }
              : undefined,
        });
      },
    );
    progress.done();
    if (values.json) printJson(result, out);
    else {
      if (result.status === 'invalid' && result.errorCode === 'validation-failed') stderr.write(renderProblems(result.problems));
      out.write(renderRunSummary(result));
    }
    return result.status === 'success' || result.status === 'nothing-to-do' ? EXIT.ok : EXIT.failed;
  } finally {
    progress.done();
    interrupt.dispose();
  }
}
