// Reads for GET …/status (status-read.ts: the worker's snapshot and liveness, the queue's
// counts, the run in flight, the pause flag). Pollers ask many times a second; concurrent
// requests share reads, but each request is answered from a read that started after it
// arrived, so nothing a client did before asking (an enqueue, a published snapshot) is
// ever missing.
import type { Redis } from 'ioredis';
import type { MigrationQueue } from './jobs.js';
import { readStatus, type StatusRead } from './status-read.js';
import type { WorkerStateReader } from './worker-state.js';

export type StatusState = StatusRead;

/** At most one read in progress; callers arriving during it share the one that follows it. */
export class StatusStateReader {
  #running: Promise<StatusState> | null = null;
  #next: Promise<StatusState> | null = null;
  readonly #read: () => Promise<StatusState>;

  constructor(queue: MigrationQueue, workerState: WorkerStateReader, redis: Redis) {
    this.#read = () => readStatus(queue, workerState, redis);
  }

  read(): Promise<StatusState> {
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
    const running = this.#read().finally(() => {
      if (this.#running === running) this.#running = null;
    });
    this.#running = running;
    return running;
  }
}
