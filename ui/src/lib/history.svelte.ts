// The history page's data: one page of the runs matching the filters, with who/when/why/
// outcome, the applied-migration ledger and recent queue jobs (GET …/history); a run's
// job (with its logs) loads when opened.
import { ApiError, describeError, type Api } from './api.js';
import { exportSearch, historySearch, NO_FILTER, type HistoryFilterForm } from './history-query.js';
import type { HistoryResponse, JobView } from './types.js';

export type JobDetail = { state: 'loading' } | { state: 'loaded'; job: JobView } | { state: 'missing' } | { state: 'error'; message: string };

export const HISTORY_PAGE_SIZE = 25;

export class HistoryStore {
  readonly #api: Api;
  #filter = $state.raw<HistoryFilterForm>(NO_FILTER);
  #offset = $state(0);
  #generation = 0;
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
  get filter(): HistoryFilterForm {
    return this.#filter;
  }
  get offset(): number {
    return this.#offset;
  }
  get pageSize(): number {
    return HISTORY_PAGE_SIZE;
  }
  exportUrl(format: 'csv' | 'json'): string {
    return this.#api.historyExportUrl(exportSearch(this.#filter, format));
  }

  /** shows the first page of the runs matching `filter` */
  async applyFilter(filter: HistoryFilterForm): Promise<void> {
    this.#filter = filter;
    this.#offset = 0;
    await this.refresh();
  }

  /** shows the page starting at run `offset` */
  async showPage(offset: number): Promise<void> {
    this.#offset = Math.max(0, offset);
    await this.refresh();
  }

  async refresh(): Promise<void> {
    // only the latest request's answer shows (the filters may change while one is on its way)
    const generation = ++this.#generation;
    this.#loading = true;
    try {
      const data = await this.#api.history(historySearch(this.#filter, this.#offset, HISTORY_PAGE_SIZE));
      if (generation !== this.#generation) return;
      this.#data = data;
      this.#error = null;
    } catch (err) {
      if (generation === this.#generation) this.#error = describeError(err);
    } finally {
      if (generation === this.#generation) this.#loading = false;
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
