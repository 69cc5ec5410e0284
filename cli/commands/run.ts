// `duckmig run` (local mode): applies pending migrations with a progress line per
// migration and a summary table. Ctrl-C interrupts the running statement and rolls its
// migration back. Exit 0 when applied or nothing to do, 1 when refused, failed or cancelled.
import { commonOptions, dbPath, migrationsDir, parse, parseTarget } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { interruptSignal, withLocalRunner } from '../local.js';
import { printJson, progressLines, renderProblems, renderRunSummary, stderr, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage =
  'duckmig run [--db PATH] [--dir PATH] [--target VERSION] [--all-or-nothing] [--checkpoint each|end] [--allow-out-of-order] [--reason TEXT] [--json]';

const options = {
  ...commonOptions,
  target: { type: 'string' },
  'all-or-nothing': { type: 'boolean', default: false },
  checkpoint: { type: 'string', default: 'each' },
  'allow-out-of-order': { type: 'boolean', default: false },
  reason: { type: 'string' },
} as const;

export async function run(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  const target = parseTarget(values.target);
  if (values.checkpoint !== 'each' && values.checkpoint !== 'end') {
    throw new UsageError(`--checkpoint must be "each" or "end", got "${values.checkpoint}"`);
  }
  const interrupt = interruptSignal();
  try {
    const result = await withLocalRunner(
      {
        db: dbPath(values.db),
        dir: migrationsDir(values.dir),
        logger: ctx.logger,
        checkpoint: values.checkpoint,
        allowOutOfOrder: values['allow-out-of-order'],
      },
      (runner) => {
        if (!values.json) runner.events.onEvent(progressLines(out));
        return runner.run({
          target,
          allOrNothing: values['all-or-nothing'],
          appliedBy: ctx.env.DUCKMIG_USER ?? ctx.env.USER ?? 'cli',
          reason: values.reason,
          signal: interrupt.signal,
        });
      },
    );
    if (values.json) printJson(result, out);
    else {
      if (result.status === 'invalid') stderr.write(renderProblems(result.problems));
      out.write(renderRunSummary(result));
    }
    return result.status === 'success' || result.status === 'nothing-to-do' ? EXIT.ok : EXIT.failed;
  } finally {
    interrupt.dispose();
  }
}
