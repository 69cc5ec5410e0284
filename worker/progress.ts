// Turns one job's runner events into BullMQ job progress (the contract's JobProgress:
// seq, percent of statements done, the event) and one readable `job.log` line each.
// Redis writes go out in order and never hold up the migration: a slow or restarting
// Redis delays the progress, not the run. Writes are sent in batches: whatever the runner
// emitted while the previous batch was on its way goes out at once, in order (one
// connection answers in order), so a run of quick statements is never more than one
// round trip behind, instead of two round trips per event behind. The run's result is not
// progress: the processor stores it with the job's outcome (processor.ts). A long statement's
// progress samples are thinned to one per PROGRESS_INTERVAL_MS and get no log line;
// every other event is always written.
import type { Logger } from 'pino';
import type { JobProgress, RunnerEvent } from '../contract/index.js';
import { RunPercent } from '../core/index.js';

/** The two Job methods the reporter needs (a BullMQ Job, or a fake in tests). */
export interface ProgressTarget {
  readonly id?: string | undefined;
  updateProgress(progress: JobProgress): Promise<void>;
  log(line: string): Promise<unknown>;
}

export interface ProgressReporter {
  /** feed every runner event of this job here */
  onEvent(event: RunnerEvent): void;
  /** waits for every write so far */
  finish(): Promise<void>;
  /** appends a log line after the events written so far */
  log(line: string): Promise<void>;
}

/** progress samples (DuckDB's percent, a copy's bytes so far): thinned, written as progress only (not job log lines) */
const isSample = (event: RunnerEvent) =>
  event.type === 'statement:progress' || event.type === 'migration:progress' || (event.type === 'phase' && event.bytesDone !== undefined);

/** at most this often a statement:progress or migration:progress sample is written (≤ 4 per second per job) */
export const PROGRESS_INTERVAL_MS = 250;

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(1)} ms`);

/** One readable line per event, for `job.log` (bull-board, the API's job view). */
export function describeEvent(event: RunnerEvent): string {
  switch (event.type) {
    case 'run:start':
      return `run:start ${event.mode}: ${event.migrations.length} migration(s), ${event.totalStatements} statement(s): ${event.migrations.map((m) => m.version).join(', ')}`;
    case 'migration:start':
      return `migration:start ${event.version} ${event.name} (${event.index + 1}/${event.total}, ${event.statements} statement(s))`;
    case 'statement:start':
      return `statement:start ${event.version} [${event.statementIndex + 1}/${event.statementCount}] line ${event.line}: ${event.summary}`;
    case 'statement:progress':
      return `statement:progress ${event.version} [${event.statementIndex + 1}/${event.statementCount}] ${event.percent.toFixed(1)}% (${event.rowsProcessed} of ${event.totalRows} rows, ${ms(event.elapsedMs)})`;
    case 'migration:progress':
      return `migration:progress ${event.version} ${event.percent.toFixed(1)}% of the running statement (${event.rowsProcessed} of ${event.totalRows} rows, ${ms(event.elapsedMs)})`;
    case 'phase':
      return `phase ${event.phase}${event.version === undefined ? '' : ` ${event.version} ${event.name ?? ''}`.trimEnd()}${event.bytes === undefined ? '' : ` (${event.bytes} bytes)`}`;
    case 'statement:done':
      return `statement:done ${event.version} [${event.statementIndex + 1}/${event.statementCount}] line ${event.line}: ${event.summary} (${ms(event.durationMs)})`;
    case 'migration:done':
      return `migration:done ${event.version} ${event.name} committed (${ms(event.durationMs)})`;
    case 'migration:failed':
      return `migration:failed ${event.version} ${event.name} ${event.cancelled ? 'cancelled' : 'failed'} and rolled back: ${event.error.message}`;
    case 'run:done':
      return `run:done ${event.mode} ${event.status}: ${event.applied} applied, ${event.failed} failed (${ms(event.durationMs)})`;
  }
}

/** `clock`: milliseconds, for thinning progress samples (tests pass their own) */
export function createProgressReporter(job: ProgressTarget, logger?: Logger, clock: () => number = () => performance.now()): ProgressReporter {
  let seq = 0;
  const runPercent = new RunPercent();
  /** when the last statement:progress was written */
  let lastSample = Number.NEGATIVE_INFINITY;
  const writes = new BatchedWrites((err) => logger?.warn({ err, jobId: job.id }, 'could not write job progress'));

  const write = (event: RunnerEvent) => {
    const progress: JobProgress = { seq: seq++, percent: runPercent.next(event), at: new Date().toISOString(), event };
    writes.add(() => job.updateProgress(progress));
    if (!isSample(event)) {
      const line = describeEvent(event);
      writes.add(() => job.log(line));
    }
  };

  return {
    onEvent(event) {
      if (isSample(event)) {
        const now = clock();
        if (now - lastSample < PROGRESS_INTERVAL_MS) return;
        lastSample = now;
      }
      write(event);
    },
    finish: () => writes.settled(),
    log(line) {
      writes.add(() => job.log(line));
      return writes.settled();
    },
  };
}

/**
 * Writes started in the order they were added: the first at once, and those added while a
 * batch is on its way together as the next batch once every write of it has been answered.
 * A write that fails is reported and does not stop the ones after it.
 */
class BatchedWrites {
  #queued: (() => Promise<unknown>)[] = [];
  #draining: Promise<void> | null = null;

  constructor(private readonly onError: (err: unknown) => void) {}

  add(write: () => Promise<unknown>): void {
    this.#queued.push(write);
    this.#draining ??= this.#drain();
  }

  /** Resolves once every write added so far (and any added meanwhile) has been answered. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queued.length > 0) {
        const batch = this.#queued.splice(0);
        await Promise.all(batch.map((write) => this.#start(write)));
      }
    } finally {
      this.#draining = null;
    }
  }

  #start(write: () => Promise<unknown>): Promise<void> {
    try {
      return write().then(
        () => undefined,
        (err: unknown) => this.onError(err),
      );
    } catch (err) {
      this.onError(err);
      return Promise.resolve();
    }
  }
}
