// The dry-run preview: starts a rehearsal job (the worker executes the pending batch and
// rolls it back), then follows it until it ends. The API can hold the answer (?wait=)
// for quick batches; longer ones are followed by polling the job, woken early by the
// live channel's completed/failed message. The outcome of the last one is kept (for the
// run dialog) after its panel is closed.
import { asJobView, describeError, type Api } from './api.js';
import { previewOf, type LastPreview } from './preview-check.js';
import type { JobView, LiveMessage } from './types.js';

const FINAL = new Set(['completed', 'failed']);
const POLL_MS = 1_500;

export class DryRunStore {
  readonly #api: Api;
  #job = $state.raw<JobView | null>(null);
  #jobId = $state<string | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #last = $state.raw<LastPreview | null>(null);
  #wake: (() => void) | null = null;
  #generation = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  get job(): JobView | null {
    return this.#job;
  }
  get jobId(): string | null {
    return this.#jobId;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  /** how the last preview that ended here went (kept after clear()) */
  get last(): LastPreview | null {
    return this.#last;
  }

  async start(target?: number): Promise<void> {
    const generation = ++this.#generation;
    this.#busy = true;
    this.#error = null;
    this.#job = null;
    this.#jobId = null;
    try {
      const answer = await this.#api.dryRun(target === undefined ? { rehearse: true } : { rehearse: true, target }, 30);
      let view = asJobView(answer);
      const jobId = view?.id ?? ('jobId' in answer ? answer.jobId : null);
      if (!jobId) throw new Error('The API did not say which job runs the dry-run');
      this.#jobId = jobId;
      while (!view || !FINAL.has(view.state)) {
        if (generation !== this.#generation) return;
        if (view) this.#job = view;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        if (generation !== this.#generation) return;
        view = await this.#api.job(jobId);
      }
      this.#job = view;
      this.#last = previewOf(view);
    } catch (err) {
      if (generation === this.#generation) this.#error = describeError(err);
    } finally {
      if (generation === this.#generation) this.#busy = false;
    }
  }

  /** the live channel says our job ended: fetch it now instead of at the next poll */
  handle(message: LiveMessage): void {
    if ((message.type === 'completed' || message.type === 'failed') && message.jobId === this.#jobId) this.#wake?.();
  }

  /** forgets the preview (and stops following a job still running) */
  clear(): void {
    this.#generation += 1;
    this.#wake?.();
    this.#job = null;
    this.#jobId = null;
    this.#busy = false;
    this.#error = null;
  }
}
