// Fan-out of the live channel. One BullMQ QueueEvents per API process reads the
// queue's Redis event stream (so every instance sees every job, whoever enqueued
// it) and turns progress/active/waiting/completed/failed into contract LiveMessages
// for the WebSocket and SSE clients of this process; a job's end carries its stored
// outcome (jobs.ts), read once per end while anyone listens. While clients are connected its
// StateWatch (state-watch.ts) adds the system's state: `status` when the snapshot, the
// worker, the queue or the active run change, `degraded`/`recovered` for Redis.
// Clients following one job get status messages cut down to the worker's liveness.
import type { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import { JobProgress, type LiveMessage } from '../contract/index.js';
import { jobEndOf, type JobEnd } from './jobs.js';
import { StateWatch, type StateWatchOptions } from './state-watch.js';

export type LiveListener = (message: LiveMessage) => void;

export interface LiveHubOptions {
  queueEvents: QueueEvents;
  /** what the StateWatch needs besides where its messages go */
  state: Omit<StateWatchOptions, 'emit' | 'logger'>;
  /** how a finished job ended (null when the queue no longer has it) */
  readJobEnd: (jobId: string) => Promise<JobEnd | null>;
  logger: Logger;
}

interface Subscriber {
  listener: LiveListener;
  jobId: string | undefined;
}

export class LiveHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #options: LiveHubOptions;
  readonly #detach: () => void;
  readonly #state: StateWatch;

  constructor(options: LiveHubOptions) {
    this.#options = options;
    const { queueEvents } = options;
    this.#state = new StateWatch({ ...options.state, logger: options.logger, emit: (message) => this.publish(message) });
    // a job that is added (now or delayed: a scheduled run), starts or ends changes the queue's counts and the active run
    const recheck = () => {
      if (this.#subscribers.size > 0) void this.#state.check();
    };
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const progress = JobProgress.safeParse(data);
      if (progress.success) this.publish({ type: 'progress', jobId, progress: progress.data });
    };
    const ended = (jobId: string, failedReason?: string) =>
      options
        .readJobEnd(jobId)
        .catch((err: unknown) => options.logger.warn({ err, jobId }, 'job outcome unavailable for the live channel'))
        .then((end) => end ?? jobEndOf({ failedReason }));
    // nobody listening: no need to read the outcome
    const onCompleted = ({ jobId }: { jobId: string }) => {
      if (this.clients === 0) return;
      void ended(jobId).then(({ result, errorCode }) => this.publish({ type: 'completed', jobId, result, errorCode }));
    };
    const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
      if (this.clients === 0) return;
      void ended(jobId, failedReason).then(({ result, errorCode, failedReason: explained }) =>
        this.publish({ type: 'failed', jobId, result, errorCode, failedReason: explained ?? failedReason }),
      );
    };
    const onActive = ({ jobId }: { jobId: string }) => this.publish({ type: 'active', jobId });
    const onWaiting = ({ jobId }: { jobId: string }) => this.publish({ type: 'waiting', jobId });
    queueEvents.on('progress', onProgress);
    queueEvents.on('completed', onCompleted);
    queueEvents.on('failed', onFailed);
    queueEvents.on('active', onActive);
    queueEvents.on('waiting', onWaiting);
    const lifecycle = ['waiting', 'delayed', 'active', 'completed', 'failed', 'removed', 'paused', 'resumed'] as const;
    for (const event of lifecycle) queueEvents.on(event, recheck);
    this.#detach = () => {
      queueEvents.off('progress', onProgress);
      queueEvents.off('completed', onCompleted);
      queueEvents.off('failed', onFailed);
      queueEvents.off('active', onActive);
      queueEvents.off('waiting', onWaiting);
      for (const event of lifecycle) queueEvents.off(event, recheck);
    };
  }

  get clients(): number {
    return this.#subscribers.size;
  }

  /** Listens for messages (only those about `jobId`, plus state, when given); returns the unsubscribe. */
  subscribe(listener: LiveListener, filter: { jobId?: string } = {}): () => void {
    const subscriber: Subscriber = { listener, jobId: filter.jobId };
    this.#subscribers.add(subscriber);
    this.#state.start();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#state.stop();
    };
  }

  /**
   * Like subscribe, but the first message is always the current state (`status`, or
   * `degraded` while Redis is away): events that arrive while it is being read are held
   * back and delivered right after it.
   */
  follow(listener: LiveListener, filter: { jobId?: string } = {}): () => void {
    let held: LiveMessage[] | null = [];
    const unsubscribe = this.subscribe((message) => (held ? held.push(message) : listener(message)), filter);
    void this.#state
      .current()
      .then((message) => listener(forSubscriber(message, filter.jobId)))
      .catch((err: unknown) => this.#options.logger.debug({ err }, 'live status unavailable'))
      .finally(() => {
        const backlog = held ?? [];
        held = null;
        for (const message of backlog) listener(message);
      });
    return unsubscribe;
  }

  publish(message: LiveMessage): void {
    for (const { listener, jobId } of this.#subscribers) {
      if (jobId !== undefined && 'jobId' in message && message.jobId !== jobId) continue;
      try {
        listener(forSubscriber(message, jobId));
      } catch (err) {
        this.#options.logger.warn({ err }, 'live listener failed');
      }
    }
  }

  close(): void {
    this.#detach();
    this.#state.close();
    this.#subscribers.clear();
  }
}

/** A client that follows one job gets status messages with the worker's liveness only. */
function forSubscriber(message: LiveMessage, jobId: string | undefined): LiveMessage {
  return jobId !== undefined && message.type === 'status' ? { type: 'status', worker: message.worker } : message;
}
