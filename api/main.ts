// startApi(config): the API process. Resolves tokens (generating the admin token on
// first start), connects Redis (failing fast with a clear message), creates the
// queue and this process's QueueEvents, and serves createApp() with WebSockets on
// @hono/node-server. close() is idempotent and releases everything in order.
// Run directly (`node dist/api/main.js`) it reads the environment and handles signals.
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Queue, QueueEvents } from 'bullmq';
import { pino, type Logger } from 'pino';
import { QUEUE_NAME, type JobData } from '../contract/index.js';
import { createApp, type ApiDeps } from './app.js';
import { redisUrlMissing } from '../config/config-error.js';
import { ConfigError, loadApiConfig, type ApiConfig } from './config.js';
import { connectRedis, createCommandConnection, createEventsConnection } from './redis.js';
import { createTokenStore, resolveTokens } from './tokens.js';

const SHUTDOWN_STEP_MS = 2_000;

export interface StartApiOptions {
  /** where the generated token announcement goes (default stdout) */
  print?: (line: string) => void;
  queueName?: string;
  /** passed to createApp (rate limit, UI dir, …) */
  app?: Partial<Omit<ApiDeps, 'queue' | 'queueEvents' | 'redis' | 'tokens' | 'logger'>>;
}

export interface RunningApi {
  /** e.g. http://127.0.0.1:8080 (the real port when PORT=0) */
  url: string;
  /** where the generated admin token is kept, when DUCKMIG_TOKENS is unset */
  tokenFile: string | null;
  close(): Promise<void>;
}

export async function startApi(config: ApiConfig, logger?: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  const log = logger ?? pino({ level: config.logLevel });
  const { redisUrl } = config;
  if (!redisUrl) {
    throw redisUrlMissing('the API');
  }
  const { entries, tokenFile } = await resolveTokens({ configured: config.tokens, dataDir: config.dataDir, print: options.print });

  const cleanups: { name: string; run: () => unknown }[] = [];
  const release = async () => {
    for (const { name, run } of cleanups.reverse()) {
      // Bounded: with Redis away, BullMQ's close() waits for an 'end' event that
      // never comes; shutdown must still finish.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), SHUTDOWN_STEP_MS);
      });
      try {
        const outcome = await Promise.race([Promise.resolve(run()), timeout]);
        if (outcome === 'timeout') log.warn({ step: name }, 'api shutdown step timed out');
      } catch (err) {
        log.warn({ err, step: name }, 'api shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    cleanups.length = 0;
  };

  try {
    const redis = createCommandConnection(redisUrl, log);
    cleanups.push({ name: 'redis', run: () => redis.quit().catch(() => redis.disconnect()) });
    await connectRedis(redis, redisUrl);

    const eventsBase = createEventsConnection(redisUrl, log);
    cleanups.push({ name: 'events connection', run: () => eventsBase.disconnect() });

    const queueName = options.queueName ?? QUEUE_NAME;
    const queue = new Queue<JobData>(queueName, { connection: redis });
    queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
    // every dry-run ?wait adds a 'closing' listener to the queue until its job finishes
    queue.setMaxListeners(1_000);
    cleanups.push({ name: 'queue', run: () => queue.close() });

    const queueEvents = new QueueEvents(queueName, { connection: eventsBase });
    queueEvents.on('error', (err) => log.warn({ err: err.message }, 'queue events error'));
    cleanups.push({ name: 'queue events', run: () => queueEvents.close() });
    await queueEvents.waitUntilReady();

    const api = createApp({
      rateLimit: { limit: config.rateLimitPerMinute, windowMs: 60_000 },
      authFailures: { limit: config.authFailuresPerMinute, windowMs: 60_000 },
      allowedOrigins: config.allowedOrigins,
      trustProxy: config.trustProxy,
      ...options.app,
      queue,
      queueEvents,
      redis,
      tokens: createTokenStore(entries),
      logger: log,
    });

    const server = serve({ fetch: api.app.fetch, port: config.port, hostname: config.host });
    api.injectWebSocket(server);
    cleanups.push({
      name: 'http server',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // SSE streams and keep-alive sockets would hold close() open forever.
          if ('closeAllConnections' in server) server.closeAllConnections();
        }),
    });
    // Runs before the server closes: WebSocket clients are dropped first.
    cleanups.push({ name: 'live channel', run: () => api.close() });
    await new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('listening', resolve);
      server.once('error', reject);
    });

    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    log.info({ url, queue: queueName, tokenFile }, 'api listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      tokenFile,
      close: () => (closing ??= release().then(() => log.info('api closed'))),
    };
  } catch (err) {
    await release();
    throw err;
  }
}

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadApiConfig();
  } catch (err) {
    process.stderr.write(`duckmig api: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel });
  const api = await startApi(config, logger).catch((err: Error) => {
    process.stderr.write(`duckmig api: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    void api.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
