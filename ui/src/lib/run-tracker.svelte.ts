// Live progress of jobs, fed by the live channel and by JobView fetches after a
// (re)connect. Keeps every recently seen job (a dry-run's progress shows in its preview)
// and one "watched" run that the progress panel shows: the run or restore this user
// started, or the one the status says holds the queue. The computing is in progress.ts.
import { describeError, type Api } from './api.js';
import { applyJobView, applyLiveMessage, isInFlight, newRun, type PlannedItem, type RunProgress } from './progress.js';
import type { LiveMessage, RestorePointRef } from './types.js';

const KEEP = 20;

export interface WatchOptions {
  /** the migrations it will apply, shown until the run reports them */
  planned?: readonly PlannedItem[];
  /** job kind; default 'run' */
  kind?: string | null;
  /** for a restore: the point it puts back (its version shows before the result is in) */
  restorePoint?: RestorePointRef | null;
}

export class RunTracker {
  readonly #api: Api;
  #runs = $state.raw<ReadonlyMap<string, RunProgress>>(new Map());
  #watchedId = $state<string | null>(null);
  #syncError = $state<string | null>(null);
  #watched = $derived(this.#watchedId === null ? null : (this.#runs.get(this.#watchedId) ?? null));

  constructor(api: Api) {
    this.#api = api;
  }

  /** the run shown in the progress panel */
  get watched(): RunProgress | null {
    return this.#watched;
  }
  get inFlight(): boolean {
    return isInFlight(this.#watched);
  }
  get syncError(): string | null {
    return this.#syncError;
  }

  get(jobId: string): RunProgress | null {
    return this.#runs.get(jobId) ?? null;
  }

  #put(run: RunProgress): void {
    const next = new Map(this.#runs);
    next.delete(run.jobId);
    next.set(run.jobId, run);
    while (next.size > KEEP) {
      const oldest = next.keys().next().value as string;
      if (oldest === this.#watchedId) break;
      next.delete(oldest);
    }
    this.#runs = next;
  }

  /** starts showing job `jobId` (a run, or a restore) */
  watch(jobId: string, { planned = [], kind = 'run', restorePoint = null }: WatchOptions = {}): void {
    if (!this.#runs.has(jobId)) this.#put(newRun(jobId, planned, kind, restorePoint));
    this.#watchedId = jobId;
    void this.sync(jobId);
  }

  /** stops showing a finished run */
  dismiss(): void {
    if (!this.inFlight) this.#watchedId = null;
  }

  handle(message: LiveMessage): void {
    if (!('jobId' in message)) return;
    const known = this.#runs.get(message.jobId);
    if (!known && message.type !== 'progress' && message.type !== 'active') return;
    const run = known ?? newRun(message.jobId);
    const next = applyLiveMessage(run, message, new Date().toISOString());
    if (next !== run || !known) this.#put(next);
  }

  /** fetches the job and folds it in (covers whatever the live channel missed) */
  async sync(jobId: string): Promise<void> {
    try {
      const job = await this.#api.job(jobId);
      const run = this.#runs.get(jobId) ?? newRun(jobId, [], job.data.kind);
      this.#put(applyJobView(run, job));
      this.#syncError = null;
    } catch (err) {
      this.#syncError = describeError(err);
    }
  }

  /** after a reconnect: bring every job still in flight up to date */
  async resync(): Promise<void> {
    const open = [...this.#runs.values()].filter((run) => isInFlight(run)).map((run) => run.jobId);
    await Promise.all(open.map((id) => this.sync(id)));
  }
}
