// What the live channel says about the system's state, as it changes. While live clients
// are connected the whole status is read again when the worker announces a change on its
// state-changed channel (a new snapshot, coming online, going offline), when the hub sees
// a job event, and every `intervalMs` as a safety net (a heartbeat that expired, a worker
// that does not announce); a `status` message goes out only when something a client shows
// changed. Redis itself is state too: losing the command connection (its close event, or
// a read failing because Redis is away or frozen) sends `degraded`, getting it back sends
// `recovered` and a fresh `status`. docs/operations.md (live channel) lists the messages.
import { subscriberOf, type RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';
import { HEARTBEAT_INTERVAL_MS, type LiveMessage, type LiveStatusMessage } from '../contract/index.js';
import { isRedisUnavailable } from './errors.js';

export type DegradedMessage = Extract<LiveMessage, { type: 'degraded' }>;

export interface StateWatchOptions {
  /** the command connection: its close and ready events say whether Redis is reachable */
  redis: RedisConnection;
  /** the worker's state-changed pub/sub channel */
  channel: string;
  readStatus: () => Promise<LiveStatusMessage>;
  /** where changes go (the hub's fan-out) */
  emit: (message: LiveMessage) => void;
  logger: Logger;
  /** safety-net re-read interval while watching (default: the heartbeat interval) */
  intervalMs?: number;
}

/** the longest a new client's first message waits for the subscription to the worker's announcements */
const SUBSCRIBE_WAIT_MS = 1_000;

export const REDIS_DEGRADED_MESSAGE = 'the API cannot reach Redis: status and job events are paused until it is back, and nothing can be queued';

/** What a client shows of a status: liveness and ages that only tick are left out. */
function fingerprint(status: LiveStatusMessage): string {
  const { worker, snapshot, queue, activeJob } = status;
  return JSON.stringify([worker.online, worker.busyWith, snapshot?.publishedAt ?? null, queue, activeJob]);
}

export class StateWatch {
  readonly #options: StateWatchOptions;
  readonly #detach: () => void;
  #degraded: DegradedMessage | null = null;
  #latest: LiveStatusMessage | null = null;
  #shown = '';
  #inFlight: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #subscriber: RedisConnection | null = null;
  /** settles once the worker's announcements are heard (or could not be subscribed to) */
  #subscribed: Promise<unknown> = Promise.resolve();

  constructor(options: StateWatchOptions) {
    this.#options = options;
    const { redis } = options;
    const onClose = () => this.#lost();
    const onReady = () => this.#regained();
    redis.on('close', onClose);
    redis.on('ready', onReady);
    this.#detach = () => {
      redis.off('close', onClose);
      redis.off('ready', onReady);
    };
  }

  /** the degraded message while Redis is unreachable, else null */
  get degraded(): DegradedMessage | null {
    return this.#degraded;
  }

  /** What a new client is told first: `degraded` while Redis is away, else the status as read now. */
  async current(): Promise<LiveMessage> {
    if (this.#degraded) return this.#degraded;
    // once a client has its first message, no announcement after it may be missed
    await this.#subscribed;
    await this.check();
    return this.#degraded ?? this.#latest ?? Promise.reject(new Error('status unavailable'));
  }

  /** Reads the status again (now, or right after the read in progress) and sends it if it changed. */
  check(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = (async () => {
      do {
        this.#again = false;
        await this.#read();
      } while (this.#again);
      this.#inFlight = null;
    })();
    return this.#inFlight;
  }

  /** Starts the re-read timer and listens to the worker's announcements (while clients are connected). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.check(), this.#options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.#timer.unref();
    this.#listen();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#shown = '';
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    subscriber?.disconnect();
  }

  close(): void {
    this.stop();
    this.#detach();
  }

  async #read(): Promise<void> {
    let status: LiveStatusMessage;
    try {
      status = await this.#options.readStatus();
    } catch (err) {
      if (isRedisUnavailable(err)) this.#lost();
      else this.#options.logger.debug({ err }, 'live status read failed');
      return;
    }
    // a read that works means Redis answers again, even if the connection never closed (a frozen Redis)
    this.#regained();
    this.#latest = status;
    const key = fingerprint(status);
    if (key === this.#shown) return;
    this.#shown = key;
    this.#options.emit(status);
  }

  #lost(): void {
    if (this.#degraded) return;
    this.#degraded = { type: 'degraded', reason: 'redis-unavailable', message: REDIS_DEGRADED_MESSAGE, since: new Date().toISOString() };
    this.#options.logger.warn({ event: 'live:degraded' }, 'live channel degraded: RedisConnection unreachable');
    this.#options.emit(this.#degraded);
  }

  #regained(): void {
    if (!this.#degraded) return;
    this.#degraded = null;
    this.#options.logger.info({ event: 'live:recovered' }, 'live channel recovered: RedisConnection answers again');
    this.#options.emit({ type: 'recovered', reason: 'redis-unavailable' });
    // clients greyed what they showed: send the status again even if nothing changed
    this.#shown = '';
    if (this.#timer) void this.check();
  }

  /** A connection of its own in subscriber mode; ioredis subscribes again after a reconnect. */
  #listen(): void {
    const { redis, channel, logger } = this.#options;
    const subscriber = subscriberOf(redis, 'duckmig-api-state');
    this.#subscriber = subscriber;
    subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'state-changed subscriber error'));
    subscriber.on('message', () => void this.check());
    let timer: NodeJS.Timeout | undefined;
    this.#subscribed = Promise.race([
      subscriber.subscribe(channel).catch((err: unknown) => logger.debug({ err }, 'state-changed channel not subscribed')),
      // Redis away: the first message must not wait for it (the subscription follows on reconnect)
      new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
  }
}
