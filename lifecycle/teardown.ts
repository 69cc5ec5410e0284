// How a process lets go of what it opened: named steps run one after another, in the
// order given. Each step has a time limit: one still running then is logged and left
// behind; one that fails is logged; the next step runs either way. The returned function
// is idempotent: every call, concurrent or later, shares the first run.
// SIGINT and SIGTERM reach it through the commands' shutdown handling (cli/shutdown.ts).

export interface TeardownStep {
  /** names the step in logs */
  readonly name: string;
  /** how long the step may take; Infinity only where waiting is the point (a migration in progress finishing) */
  readonly limitMs: number;
  run(): unknown;
}

export type StepOutcome = 'done' | 'failed' | 'timed-out';

export interface StepReport {
  readonly name: string;
  readonly outcome: StepOutcome;
}

/** The part of a pino logger teardown writes to. */
export interface TeardownLogger {
  warn(obj: object, msg: string): void;
}

export interface TeardownOptions {
  logger: TeardownLogger;
  /** what is being torn down, for log lines ("api", "worker") */
  what: string;
}

/** Runs `steps` once, in order, whatever becomes of each; later calls return the same promise. */
export function teardown(steps: readonly TeardownStep[], { logger, what }: TeardownOptions): () => Promise<readonly StepReport[]> {
  let running: Promise<readonly StepReport[]> | undefined;
  return () =>
    (running ??= (async () => {
      const reports: StepReport[] = [];
      for (const step of steps) {
        const outcome = await runStep(step, logger, what);
        reports.push({ name: step.name, outcome });
      }
      return reports;
    })());
}

async function runStep(step: TeardownStep, logger: TeardownLogger, what: string): Promise<StepOutcome> {
  let failure: unknown;
  // a step that throws at once counts as failed, like one that rejects; one that fails
  // after its limit is already logged as timed out and raises nothing more
  const work = Promise.resolve()
    .then(() => step.run())
    .then(
      () => 'done' as const,
      (err: unknown) => {
        failure = err;
        return 'failed' as const;
      },
    );
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timed-out'>((resolve) => {
    if (Number.isFinite(step.limitMs)) timer = setTimeout(() => resolve('timed-out'), step.limitMs);
  });
  const outcome = await Promise.race([work, limit]);
  clearTimeout(timer);
  if (outcome === 'failed') {
    logger.warn({ event: 'teardown:failed', what, step: step.name, err: failure }, `${what} shutdown: "${step.name}" failed; going on`);
  } else if (outcome === 'timed-out') {
    logger.warn({ event: 'teardown:timed-out', what, step: step.name, limitMs: step.limitMs }, `${what} shutdown: "${step.name}" did not finish within ${step.limitMs} ms; going on`);
  }
  return outcome;
}
