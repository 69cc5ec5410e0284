// startApi(config): the API process. Resolves tokens (generating the admin token on
// first start), connects Redis (failing fast with a clear message), creates the
// queue and this process's QueueEvents, and serves createApp() with WebSockets on
// @hono/node-server (status polls answered before it, status-poll.ts). close() is
// idempotent and releases everything in order, each step bounded (lifecycle/teardown.ts).
// Commands run it: `duckmig api` and `duckmig start`.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Queue, QueueEvents } from 'bullmq';
import { pino, type Logger } from 'pino';
import { QUEUE_NAME, type JobData } from '../contract/index.js';
import { redisUrlMissing } from '../config/config-error.js';
import { redisTopology, type RedisConnection, type RedisTopology } from '../config/redis-connection.js';
import { teardown, type TeardownStep } from '../lifecycle/teardown.js';
import { createApp, type ApiApp, type ApiDeps } from './app.js';
import { withStatusPoll } from './status-poll.js';
import type { ApiConfig } from './config.js';
import type { MigrationQueue } from './jobs.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { connectRedis, createCommandConnection, createEventsConnection } from './redis.js';
import { createTokenStore, resolveTokens } from './tokens.js';

/**
 * Bounded: with Redis away, BullMQ's close() waits for an 'end' event that never
 * comes; shutdown must still finish.
 */
const SHUTDOWN_STEP_MS = 2_000;

export interface StartApiOptions {
  /** where the generated token announcement goes (default stdout) */
  print?: (line: string) => void;
  queueName?: string;
  /** passed to createApp (rate limit, UI dir, …) */
  app?: Partial<Omit<ApiDeps, 'queue' | 'queueEvents' | 'redis' | 'keyPrefix' | 'tokens' | 'logger'>>;
}

export interface RunningApi {
  /** e.g. http://127.0.0.1:8080 (the real port when PORT=0) */
  url: string;
  /** where the generated admin token is kept, when DUCKMIG_TOKENS is unset */
  tokenFile: string | null;
  close(): Promise<void>;
}

/** What the API has opened so far; teardown releases whatever is there. */
interface Opened {
  redis?: RedisConnection;
  eventsConnection?: RedisConnection;
  queue?: MigrationQueue;
  queueEvents?: QueueEvents;
  notifier?: Notifier;
  server?: ServerType;
  api?: ApiApp;
}

export async function startApi(config: ApiConfig, logger?: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  const log = logger ?? pino({ level: config.logLevel });
  const topology = redisTopology(requireRedisUrl(config));
  const { entries, tokenFile } = await resolveTokens({ configured: config.tokens, dataDir: config.dataDir, print: options.print });

  const opened: Opened = {};
  const release = teardown(shutdownSteps(opened), { logger: log, what: 'api' });
  try {
    const queueName = options.queueName ?? QUEUE_NAME;
    const { redis, queue, queueEvents } = await openQueue(topology, queueName, log, opened);
    const notifier = (opened.notifier = createNotifier(config.notifications, redis, log, topology.bullPrefix));
    const api = (opened.api = createApp({
      notify: (input) => notifier.notify(input),
      maintenance: config.maintenance,
      rateLimit: { limit: config.rateLimitPerMinute, windowMs: 60_000 },
      authFailures: { limit: config.authFailuresPerMinute, windowMs: 60_000 },
      allowedOrigins: config.allowedOrigins,
      trustProxy: config.trustProxy,
      statusCacheMs: config.statusCacheMs,
      approvals: config.approvals,
      // the topology's prefixes unless a test gives its own fleet namespace
      fleet: { keyPrefix: topology.keyPrefix, bullPrefix: topology.bullPrefix },
      ...options.app,
      queue,
      queueEvents,
      redis,
      keyPrefix: topology.keyPrefix,
      tokens: createTokenStore(entries),
      logger: log,
    }));
    const url = await listen(api, config, opened);
    log.info({ url, queue: queueName, redis: topology.location, tokenFile }, 'api listening');

    let closing: Promise<void> | undefined;
    return { url, tokenFile, close: () => (closing ??= release().then(() => log.info('api closed'))) };
  } catch (err) {
    await release();
    throw err;
  }
}

function requireRedisUrl(config: ApiConfig): string {
  if (config.redisUrl) return config.redisUrl;
  throw redisUrlMissing('the API');
}

/** The command connection (failing fast when Redis is away), the queue and this process's QueueEvents. */
async function openQueue(topology: RedisTopology, queueName: string, log: Logger, opened: Opened) {
  const redis = (opened.redis = createCommandConnection(topology, log));
  await connectRedis(redis, topology);
  const eventsConnection = (opened.eventsConnection = createEventsConnection(topology, log));
  const prefix = topology.bullPrefix;

  const queue = (opened.queue = new Queue<JobData>(queueName, { connection: redis, prefix }));
  queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
  // every dry-run ?wait adds a 'closing' listener to the queue until its job finishes
  queue.setMaxListeners(1_000);

  const queueEvents = (opened.queueEvents = new QueueEvents(queueName, { connection: eventsConnection, prefix }));
  queueEvents.on('error', (err) => log.warn({ err: err.message }, 'queue events error'));
  await queueEvents.waitUntilReady();
  return { redis, queue, queueEvents };
}

/** Serves the app (WebSockets included) on HOST:PORT; resolves with its URL once listening. */
async function listen(api: ApiApp, config: ApiConfig, opened: Opened): Promise<string> {
  // a status poll is answered before @hono/node-server wraps the request for the app
  const createServer = withStatusPoll(api.pollStatus);
  const server = (opened.server = serve({ fetch: api.app.fetch, port: config.port, hostname: config.host, createServer }));
  api.injectWebSocket(server);
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

/** The reverse of opening; each step skips what was never opened (a start that failed half-way). */
function shutdownSteps(opened: Opened): TeardownStep[] {
  const step = (name: string, run: () => unknown): TeardownStep => ({ name, limitMs: SHUTDOWN_STEP_MS, run });
  return [
    // WebSocket clients are dropped before the server closes
    step('live channel', () => opened.api?.close()),
    step('http server', () => opened.server && closeServer(opened.server)),
    step('queue events', () => opened.queueEvents?.close()),
    step('notifier', () => opened.notifier?.close()),
    step('queue', () => opened.queue?.close()),
    step('events connection', () => opened.eventsConnection?.disconnect()),
    step('redis', () => opened.redis?.quit().catch(() => opened.redis?.disconnect())),
  ];
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // SSE streams and keep-alive sockets would hold close() open forever.
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}
