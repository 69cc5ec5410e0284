// When a status read may answer later requests too. Pollers ask many times a second while
// the status changes a few times a minute, so a read is reused until something announces
// a change: the worker's state-changed message (new snapshot, online, offline), any job
// event of the queue (QueueEvents: added, active, completed, …, but not progress), or a
// state-changing request answered by this API instance. Three bounds keep it honest:
//   - a read is reused for at most `maxAgeMs` (a heartbeat that lapses is announced by
//     nobody: the worker shows offline at most that much later);
//   - only while the announcements can be heard: the subscription is up, and Redis
//     answered a PING on it within the last second (a frozen Redis keeps its connections
//     open; its answers stop, and then so does reuse, so reads fail with 503 as before);
//   - a read is tagged with the generation it started in: a change announced while it
//     was in flight makes it unusable for anyone who asks after.
// docs/operations.md (Polling the status) says what clients can rely on.
import type { QueueEvents } from 'bullmq';
import { subscriberOf, type RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';

export interface StatusFreshnessOptions {
  /** the command connection: a subscriber is duplicated from it */
  redis: RedisConnection;
  /** the worker's state-changed pub/sub channel */
  channel: string;
  queueEvents: QueueEvents;
  /** the longest a read is reused */
  maxAgeMs: number;
  /** how often Redis is asked whether it still answers (default 250 ms); reuse stops 4 unanswered probes later */
  probeMs?: number;
  logger: Logger;
}

/** What a read carries to be judged: when it started and in which generation. */
export interface ReadStamp {
  startedAt: number;
  generation: number;
}

/** Job events that change what the status shows (progress does not). */
const CHANGING_EVENTS = [
  'added',
  'waiting',
  'active',
  'completed',
  'failed',
  'delayed',
  'removed',
  'paused',
  'resumed',
  'stalled',
  'cleaned',
  'drained',
  'waiting-children',
  'retries-exhausted',
] as const;

export class StatusFreshness {
  #generation = 0;
  #lastAnswerAt = 0;
  #probing = false;
  #subscribed = false;
  readonly #maxAgeMs: number;
  readonly #probeMs: number;
  readonly #subscriber: RedisConnection;
  readonly #timer: NodeJS.Timeout;
  readonly #detach: () => void;

  constructor(options: StatusFreshnessOptions) {
    const { redis, channel, queueEvents, logger } = options;
    this.#maxAgeMs = options.maxAgeMs;
    this.#probeMs = options.probeMs ?? 250;
    const changed = () => this.invalidate();
    for (const event of CHANGING_EVENTS) queueEvents.on(event, changed);

    const subscriber = subscriberOf(redis, 'duckmig-api-status');
    this.#subscriber = subscriber;
    subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'status subscriber error'));
    subscriber.on('message', changed);
    // announcements may have been missed while the connection was down
    subscriber.on('close', () => {
      this.#subscribed = false;
      this.invalidate();
    });
    const subscribe = () =>
      subscriber.subscribe(channel).then(
        () => {
          this.#subscribed = true;
          this.invalidate();
        },
        (err: unknown) => logger.debug({ err }, 'status channel not subscribed'),
      );
    subscriber.on('ready', () => void subscribe());

    this.#timer = setInterval(() => this.#probe(), this.#probeMs);
    this.#timer.unref();
    this.#detach = () => {
      for (const event of CHANGING_EVENTS) queueEvents.off(event, changed);
    };
  }

  /** Something changed: no read that started before now is reused. */
  invalidate(): void {
    this.#generation++;
  }

  /** Stamp a read with this before it starts. */
  stamp(now = Date.now()): ReadStamp {
    return { startedAt: now, generation: this.#generation };
  }

  /** Whether a read with this stamp may answer a request arriving now. */
  fresh(stamp: ReadStamp, now = Date.now()): boolean {
    return (
      this.#subscribed &&
      stamp.generation === this.#generation &&
      now - stamp.startedAt <= this.#maxAgeMs &&
      now - this.#lastAnswerAt <= 4 * this.#probeMs
    );
  }

  /** Whether a read with this stamp is past half its reuse time: a read started now would take over before it runs out. */
  refreshDue(stamp: ReadStamp, now = Date.now()): boolean {
    return now - stamp.startedAt > this.#maxAgeMs / 2;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#detach();
    this.#subscribed = false;
    this.#subscriber.disconnect();
  }

  #probe(): void {
    // one probe at a time: a frozen Redis must not collect a queue of PINGs
    if (this.#probing || !this.#subscribed) return;
    this.#probing = true;
    this.#subscriber.ping().then(
      () => {
        this.#lastAnswerAt = Date.now();
        this.#probing = false;
      },
      () => {
        this.#probing = false;
      },
    );
  }
}
