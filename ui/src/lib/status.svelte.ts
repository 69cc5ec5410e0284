// The status snapshot (GET …/status): what the worker last reported about the database,
// whether the worker is alive, the queue's counts, the run that holds the queue and the
// restore points the worker keeps, and whether the API can reach Redis at all.
// The live channel pushes every change (`status`, `degraded`, `recovered`); it is read
// on start, after reconnecting, on returning to the tab and, while the channel is down,
// on a poll (status-poll.ts). How each source updates it: system-state.ts.
import { ApiError, describeError, type Api } from './api.js';
import {
  applyFetched,
  applyFetchFailed,
  applyMessage,
  degradation,
  INITIAL_STATE,
  type Degradation,
  type RedisDown,
  type StateMessage,
  type SystemState,
} from './system-state.js';
import type { DriftReport, PendingMigration, RestorePointRef, StatusReport, StatusResponse, ValidationProblem, WorkerLiveness } from './types.js';

export class StatusStore {
  readonly #api: Api;
  #state = $state.raw<SystemState>(INITIAL_STATE);
  #error = $state<string | null>(null);
  #loading = $state(false);
  #inFlight: Promise<void> | null = null;
  #again = false;

  #data = $derived(this.#state.data);
  #degradation = $derived(degradation(this.#state));
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
  /** the worker's last drift check (null until it made one) */
  get drift(): DriftReport | null {
    return this.#data?.snapshot?.drift ?? null;
  }
  /** problems of severity error: the runner refuses to run while there are any */
  get blockingProblems(): ValidationProblem[] {
    return this.#blocking;
  }
  get worker(): WorkerLiveness | null {
    return this.#data?.worker ?? null;
  }
  /** Date.now() when `worker` was last received, to age snapshotAgeMs between reads */
  get receivedAt(): number {
    return this.#state.receivedAt;
  }
  /** set while the API cannot reach Redis: everything shown is from before */
  get redisDown(): RedisDown | null {
    return this.#state.redisDown;
  }
  /** what makes the shown status unreliable (Redis unreachable, no worker), null when nothing */
  get degradation(): Degradation | null {
    return this.#degradation;
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
          this.#state = applyFetched(this.#state, await this.#api.status(), Date.now());
          this.#error = null;
        } catch (err) {
          if (err instanceof ApiError) this.#state = applyFetchFailed(this.#state, err, Date.now());
          // Redis being away is shown as the degraded state, not as a failed read
          this.#error = this.#state.redisDown ? null : describeError(err);
        } finally {
          this.#loading = false;
        }
      } while (this.#again);
      this.#inFlight = null;
    })();
    return this.#inFlight;
  }

  /** the state the live channel pushed */
  apply(message: StateMessage): void {
    this.#state = applyMessage(this.#state, message, Date.now());
    if (message.type === 'status' && this.#state.data) this.#error = null;
  }
}
