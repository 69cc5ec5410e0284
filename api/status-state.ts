// Reads for GET …/status (status-read.ts: the worker's snapshot and liveness, the queue's
// counts, the run in flight, the pause flag). Pollers ask many times a second; concurrent
// requests share reads, but each request is answered from a read that started after it
// arrived, so nothing a client did before asking (an enqueue, a published snapshot) is
// ever missing. With a StatusFreshness (the API process has one, status-freshness.ts), the
// last read also answers requests that arrive while no change has been announced since it
// started, for a bounded time, and the next read starts before that time is up.
import type { RedisConnection } from '../config/redis-connection.js';
import type { MigrationQueue } from './jobs.js';
import type { ReadStamp, StatusFreshness } from './status-freshness.js';
import { readStatus, type StatusRead } from './status-read.js';
import type { WorkerStateReader } from './worker-state.js';

export type StatusState = StatusRead;

/** At most one read in progress; callers arriving during it share the one that follows it. */
export class StatusStateReader {
  #running: Promise<StatusState> | null = null;
  #next: Promise<StatusState> | null = null;
  #last: { state: StatusState; stamp: ReadStamp } | null = null;
  readonly #read: () => Promise<StatusState>;
  readonly #freshness: StatusFreshness | undefined;

  constructor(queue: MigrationQueue, workerState: WorkerStateReader, redis: RedisConnection, freshness?: StatusFreshness) {
    this.#read = () => readStatus(queue, workerState, redis);
    this.#freshness = freshness;
  }

  /** The last read while it may still answer (as read() would answer at once), else null. */
  fresh(): StatusState | null {
    const last = this.#last;
    const freshness = this.#freshness;
    if (!last || !freshness?.fresh(last.stamp)) return null;
    // past half its reuse time, the next read starts in the background: while nothing
    // changes, pollers are answered at once and never queue behind a read of Redis
    if (!this.#running && freshness.refreshDue(last.stamp)) void this.#start().catch(() => undefined);
    return last.state;
  }

  read(): Promise<StatusState> {
    const fresh = this.fresh();
    if (fresh) return Promise.resolve(fresh);
    if (!this.#running) return this.#start();
    // the read in progress may have begun before this caller arrived: wait for the next one;
    // if it fails (Redis unreachable), so do its followers, without a second wait
    this.#next ??= this.#running.then(
      () => {
        this.#next = null;
        return this.#start();
      },
      (err: unknown) => {
        this.#next = null;
        throw err;
      },
    );
    return this.#next;
  }

  #start(): Promise<StatusState> {
    const stamp = this.#freshness?.stamp();
    const running: Promise<StatusState> = this.#read()
      .then((state) => {
        if (stamp) this.#last = { state, stamp };
        return state;
      })
      .finally(() => {
        if (this.#running === running) this.#running = null;
      });
    this.#running = running;
    return running;
  }
}
