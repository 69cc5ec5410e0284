// The fleet's live channel: `/api/v1/fleet/events` (WebSocket) and `…/events/sse`, both
// optionally narrowed to one run with `?runId=`. One subscriber connection per API
// process listens on the fleet's pub/sub channel (fleetKeys().events) while clients are
// connected and hands each FleetEvent to them. A client's first message is the current
// record of its run (or of the active run): events that arrive while it is read are held
// back and follow it, so a client that re-reads on connect misses nothing. After the
// subscriber connection reconnects (a Redis restart), every client gets its run's record
// again, so an end published while it was away is not missed.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { subscriberOf, type RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';
import type { UpgradeWebSocket } from 'hono/ws';
import { FleetEvent, FleetEventsQuery } from '../contract/index.js';
import type { FleetKeys } from '../fleet/options.js';
import { readFleetRun } from '../fleet/records.js';
import { requireRole } from './auth.js';
import { ApiError, invalidRequest } from './errors.js';
import { socketEvents, sseResponse } from './live-streams.js';
import { fleetEventsSseRoute, fleetEventsWsRoute } from './routes/fleet-definitions.js';

type Listener = (event: FleetEvent) => void;
interface Subscriber {
  listener: Listener;
  runId: string | undefined;
  /** the run whose events it got last (for a follower of whichever run is active) */
  seen?: string;
}

/** the longest a new client's first message waits for the subscription */
const SUBSCRIBE_WAIT_MS = 1_000;

const runIdOf = (event: FleetEvent) => (event.type === 'fleet:run' ? event.run.id : event.runId);

export class FleetLiveHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #redis: RedisConnection;
  readonly #keys: FleetKeys;
  readonly #logger: Logger;
  #connection: RedisConnection | null = null;
  #subscribed: Promise<unknown> = Promise.resolve();

  constructor(options: { redis: RedisConnection; keys: FleetKeys; logger: Logger }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#logger = options.logger;
  }

  get clients(): number {
    return this.#subscribers.size;
  }

  /** Listens (to one run's events when `runId` is given); the first message is the run's current record. */
  follow(listener: Listener, runId?: string): () => void {
    let held: FleetEvent[] | null = [];
    const subscriber: Subscriber = {
      listener: (event) => {
        subscriber.seen = runIdOf(event);
        if (held) held.push(event);
        else listener(event);
      },
      runId,
    };
    this.#subscribers.add(subscriber);
    this.#listen();
    void this.#subscribed
      .then(async () => {
        const id = runId ?? (await this.#redis.get(this.#keys.active));
        const run = id === null ? null : await readFleetRun(this.#redis, this.#keys, id);
        if (run) {
          subscriber.seen = run.id;
          listener({ type: 'fleet:run', run });
        }
      })
      .catch((err: unknown) => this.#logger.debug({ err }, 'fleet run unavailable for the live channel'))
      .finally(() => {
        const backlog = held ?? [];
        held = null;
        for (const event of backlog) listener(event);
      });
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#stop();
    };
  }

  close(): void {
    this.#subscribers.clear();
    this.#stop();
  }

  #deliver(text: string): void {
    let event: FleetEvent;
    try {
      const parsed = FleetEvent.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      event = parsed.data;
    } catch {
      return;
    }
    const runId = runIdOf(event);
    for (const { listener, runId: wanted } of this.#subscribers) {
      if (wanted !== undefined && wanted !== runId) continue;
      try {
        listener(event);
      } catch (err) {
        this.#logger.warn({ err }, 'fleet live listener failed');
      }
    }
  }

  /** Sends every follower the current record of the run it follows (or last heard of, or the active one). */
  async #resend(): Promise<void> {
    const active = await this.#redis.get(this.#keys.active);
    const wanted = new Map<string, Subscriber[]>();
    for (const subscriber of this.#subscribers) {
      const id = subscriber.runId ?? subscriber.seen ?? active;
      if (id) wanted.set(id, [...(wanted.get(id) ?? []), subscriber]);
    }
    for (const [id, followers] of wanted) {
      const run = await readFleetRun(this.#redis, this.#keys, id);
      if (!run) continue;
      for (const { listener } of followers) listener({ type: 'fleet:run', run });
    }
  }

  /** A connection of its own in subscriber mode while anyone listens; ioredis subscribes again after a reconnect. */
  #listen(): void {
    if (this.#connection) return;
    const connection = subscriberOf(this.#redis, 'duckmig-api-fleet-events');
    this.#connection = connection;
    connection.on('error', (err: Error) => this.#logger.debug({ err: err.message }, 'fleet events subscriber error'));
    connection.on('message', (_channel: string, text: string) => this.#deliver(text));
    let connected = false;
    connection.on('ready', () => {
      if (!connected) {
        connected = true;
        return;
      }
      // Reconnected (Redis restarted or failed over): what was published meanwhile is gone.
      // Once the subscription is back, each follower gets its run's record again.
      void connection
        .subscribe(this.#keys.events)
        .then(() => this.#resend())
        .catch((err: unknown) => this.#logger.debug({ err }, 'fleet runs not sent again after a reconnect'));
    });
    let timer: NodeJS.Timeout | undefined;
    this.#subscribed = Promise.race([
      connection.subscribe(this.#keys.events).catch((err: unknown) => this.#logger.debug({ err }, 'fleet events channel not subscribed')),
      // Redis away: the first message must not wait for it (the subscription follows on reconnect)
      new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  #stop(): void {
    const connection = this.#connection;
    this.#connection = null;
    connection?.disconnect();
  }
}

function runFilter(query: Record<string, string>): string | undefined {
  const parsed = FleetEventsQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest('query', parsed.error.issues);
  return parsed.data.runId;
}

export interface FleetLiveRoutesOptions {
  hub: FleetLiveHub;
  upgradeWebSocket: UpgradeWebSocket<unknown>;
  keepAliveMs?: number;
  maxBacklog?: number;
}

export function registerFleetLiveRoutes(app: OpenAPIHono, { hub, upgradeWebSocket, keepAliveMs = 15_000, maxBacklog = 1_000 }: FleetLiveRoutesOptions): void {
  app.get(
    fleetEventsWsRoute.path,
    requireRole(fleetEventsWsRoute['x-duckmig-role']),
    upgradeWebSocket(function fleetLiveSocket(c) {
      const runId = runFilter(c.req.query());
      return socketEvents<FleetEvent>((listener) => hub.follow(listener, runId));
    }),
    function notAnUpgrade() {
      throw new ApiError(426, 'upgrade-required', 'this is a WebSocket endpoint; use …/events/sse for plain HTTP', { headers: { Upgrade: 'websocket' } });
    },
  );

  app.get(fleetEventsSseRoute.path, requireRole(fleetEventsSseRoute['x-duckmig-role']), function fleetEventsSse(c) {
    const runId = runFilter(c.req.query());
    return sseResponse<FleetEvent>(c, (listener) => hub.follow(listener, runId), { keepAliveMs, maxBacklog });
  });
}
