// The history page's data: runs with who/when/why/outcome, the applied-migration ledger
// and recent queue jobs (GET …/history); a run's job (with its logs) loads when opened.
import { ApiError, describeError, type Api } from './api.js';
import type { HistoryResponse, JobView } from './types.js';

export type JobDetail = { state: 'loading' } | { state: 'loaded'; job: JobView } | { state: 'missing' } | { state: 'error'; message: string };

export class HistoryStore {
  readonly #api: Api;
  #data = $state.raw<HistoryResponse | null>(null);
  #error = $state<string | null>(null);
  #loading = $state(false);
  #jobs = $state.raw<Record<string, JobDetail>>({});

  constructor(api: Api) {
    this.#api = api;
  }

  get data(): HistoryResponse | null {
    return this.#data;
  }
  get error(): string | null {
    return this.#error;
  }
  get loading(): boolean {
    return this.#loading;
  }

  async refresh(): Promise<void> {
    this.#loading = true;
    try {
      this.#data = await this.#api.history();
      this.#error = null;
    } catch (err) {
      this.#error = describeError(err);
    } finally {
      this.#loading = false;
    }
  }

  job(jobId: string): JobDetail | null {
    return this.#jobs[jobId] ?? null;
  }

  /** loads a run's job (per-migration results and logs); jobs removed from the queue are "missing" */
  async loadJob(jobId: string, force = false): Promise<void> {
    const known = this.#jobs[jobId];
    if (known && !force && known.state !== 'error') return;
    this.#jobs = { ...this.#jobs, [jobId]: { state: 'loading' } };
    let detail: JobDetail;
    try {
      detail = { state: 'loaded', job: await this.#api.job(jobId) };
    } catch (err) {
      detail = err instanceof ApiError && err.status === 404 ? { state: 'missing' } : { state: 'error', message: describeError(err) };
    }
    this.#jobs = { ...this.#jobs, [jobId]: detail };
  }
}
