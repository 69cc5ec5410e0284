// The status snapshot (GET …/status): what the worker last reported about the database,
// whether the worker is alive, the queue's counts, the run that holds the queue and the
// restore points the worker keeps.
// Refreshed on start, on job lifecycle messages, after reconnecting and on a slow poll;
// worker liveness also arrives live as `status` messages.
import { describeError, type Api } from './api.js';
import type { PendingMigration, RestorePointRef, StatusReport, StatusResponse, ValidationProblem, WorkerLiveness } from './types.js';

export class StatusStore {
  readonly #api: Api;
  #data = $state.raw<StatusResponse | null>(null);
  #error = $state<string | null>(null);
  #loading = $state(false);
  /** Date.now() when `worker` was last received, to age snapshotAgeMs between fetches */
  #receivedAt = $state(0);
  #inFlight: Promise<void> | null = null;
  #again = false;

  #report = $derived<StatusReport | null>(this.#data?.snapshot?.status ?? null);
  #problems = $derived<ValidationProblem[]>(this.#report?.problems ?? []);
  #blocking = $derived(this.#problems.filter((p) => p.severity === 'error'));

  constructor(api: Api) {
    this.#api = api;
  }

  get data(): StatusResponse | null {
    return this.#data;
  }
  get error(): string | null {
    return this.#error;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get report(): StatusReport | null {
    return this.#report;
  }
  get pending(): PendingMigration[] {
    return this.#report?.pending ?? [];
  }
  /** restore points on the worker's disk, newest first */
  get restorePoints(): RestorePointRef[] {
    return this.#data?.snapshot?.restorePoints ?? [];
  }
  get problems(): ValidationProblem[] {
    return this.#problems;
  }
  /** problems of severity error: the runner refuses to run while there are any */
  get blockingProblems(): ValidationProblem[] {
    return this.#blocking;
  }
  get worker(): WorkerLiveness | null {
    return this.#data?.worker ?? null;
  }
  get receivedAt(): number {
    return this.#receivedAt;
  }
  /** the job that holds the queue (a run, or a restore), waiting or active, if any */
  get activeRun(): { jobId: string; kind: string; state: string } | null {
    const job = this.#data?.activeJob ?? null;
    return job && job.kind !== 'dry-run' ? job : null;
  }

  /** fetches the status; calls made while one is in flight share it and trigger one more */
  refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = (async () => {
      do {
        this.#again = false;
        this.#loading = true;
        try {
          this.#data = await this.#api.status();
          this.#receivedAt = Date.now();
          this.#error = null;
        } catch (err) {
          this.#error = describeError(err);
        } finally {
          this.#loading = false;
        }
      } while (this.#again);
      this.#inFlight = null;
    })();
    return this.#inFlight;
  }

  /** worker liveness pushed over the live channel */
  setWorker(worker: WorkerLiveness): void {
    if (!this.#data) return;
    this.#data = { ...this.#data, worker };
    this.#receivedAt = Date.now();
  }

  /** refreshes every `intervalMs`; returns the function that stops, for $effect */
  poll(intervalMs = 15_000): () => void {
    const timer = setInterval(() => void this.refresh(), intervalMs);
    return () => clearInterval(timer);
  }
}
