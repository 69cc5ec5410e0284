// Fan-out of live job events. One BullMQ QueueEvents per API process reads the
// queue's Redis event stream (so every instance sees every job, whoever enqueued
// it) and turns progress/active/waiting/completed/failed into contract LiveMessages
// for the WebSocket and SSE clients of this process. While clients are connected it
// also watches worker liveness and sends a `status` message when it changes.
import type { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import { HEARTBEAT_INTERVAL_MS, JobProgress, RunResult, explainFailedReason, type LiveMessage, type WorkerLiveness } from '../contract/index.js';

export type LiveListener = (message: LiveMessage) => void;

export interface LiveHubOptions {
  queueEvents: QueueEvents;
  readLiveness: () => Promise<WorkerLiveness>;
  logger: Logger;
  /** how often liveness is checked while clients are connected */
  statusIntervalMs?: number;
}

interface Subscriber {
  listener: LiveListener;
  jobId: string | undefined;
}

export class LiveHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #options: LiveHubOptions;
  readonly #detach: () => void;
  #timer: NodeJS.Timeout | undefined;
  #lastStatus = '';

  constructor(options: LiveHubOptions) {
    this.#options = options;
    const { queueEvents } = options;
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const progress = JobProgress.safeParse(data);
      if (progress.success) this.publish({ type: 'progress', jobId, progress: progress.data });
    };
    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
      const result = RunResult.safeParse(returnvalue);
      this.publish({ type: 'completed', jobId, result: result.success ? result.data : null });
    };
    const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) =>
      this.publish({ type: 'failed', jobId, failedReason: explainFailedReason(failedReason) });
    const onActive = ({ jobId }: { jobId: string }) => this.publish({ type: 'active', jobId });
    const onWaiting = ({ jobId }: { jobId: string }) => this.publish({ type: 'waiting', jobId });
    queueEvents.on('progress', onProgress);
    queueEvents.on('completed', onCompleted);
    queueEvents.on('failed', onFailed);
    queueEvents.on('active', onActive);
    queueEvents.on('waiting', onWaiting);
    this.#detach = () => {
      queueEvents.off('progress', onProgress);
      queueEvents.off('completed', onCompleted);
      queueEvents.off('failed', onFailed);
      queueEvents.off('active', onActive);
      queueEvents.off('waiting', onWaiting);
    };
  }

  get clients(): number {
    return this.#subscribers.size;
  }

  /** Listens for messages (only those about `jobId`, plus status, when given); returns the unsubscribe. */
  subscribe(listener: LiveListener, filter: { jobId?: string } = {}): () => void {
    const subscriber: Subscriber = { listener, jobId: filter.jobId };
    this.#subscribers.add(subscriber);
    this.#startWatching();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#stopWatching();
    };
  }

  /**
   * Like subscribe, but the first message is always the current status: events that
   * arrive while it is being read are held back and delivered right after it.
   */
  follow(listener: LiveListener, filter: { jobId?: string } = {}): () => void {
    let held: LiveMessage[] | null = [];
    const unsubscribe = this.subscribe((message) => (held ? held.push(message) : listener(message)), filter);
    void this.status()
      .then(listener, (err: unknown) => this.#options.logger.debug({ err }, 'live status unavailable'))
      .finally(() => {
        const backlog = held ?? [];
        held = null;
        for (const message of backlog) listener(message);
      });
    return unsubscribe;
  }

  async status(): Promise<LiveMessage> {
    return { type: 'status', worker: await this.#options.readLiveness() };
  }

  publish(message: LiveMessage): void {
    for (const { listener, jobId } of this.#subscribers) {
      if (jobId !== undefined && 'jobId' in message && message.jobId !== jobId) continue;
      try {
        listener(message);
      } catch (err) {
        this.#options.logger.warn({ err }, 'live listener failed');
      }
    }
  }

  close(): void {
    this.#detach();
    this.#stopWatching();
    this.#subscribers.clear();
  }

  #startWatching(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#checkStatus(), this.#options.statusIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.#timer.unref();
  }

  #stopWatching(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#lastStatus = '';
  }

  async #checkStatus(): Promise<void> {
    try {
      const message = await this.status();
      if (message.type !== 'status') return;
      const key = `${message.worker.online}:${message.worker.busyWith}`;
      if (this.#lastStatus !== '' && key !== this.#lastStatus) this.publish(message);
      this.#lastStatus = key;
    } catch (err) {
      this.#options.logger.debug({ err }, 'live status check failed');
    }
  }
}
