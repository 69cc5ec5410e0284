// The API's Redis connections. Commands (queue, snapshot reads, rate limit, cancel
// publish, sessions) share one connection with the offline queue disabled and every
// command bounded by a timeout, so a Redis that is away or frozen fails requests fast
// (503) instead of hanging them. QueueEvents gets its own
// blocking connection (maxRetriesPerRequest: null, as BullMQ requires).
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** host:port of a Redis URL, for messages (never the password). */
export function redisLocation(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

function watch(redis: Redis, logger: Logger, role: string): Redis {
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: err.message, role }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'redis connection restored');
    down = false;
  });
  return redis;
}

/** Longest wait for one Redis command's answer: requests then answer 503 within about 2 s. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_500;

export function createCommandConnection(url: string, logger: Logger, commandTimeoutMs = REDIS_COMMAND_TIMEOUT_MS): Redis {
  return watch(
    new Redis(url, {
      connectionName: 'duckmig-api',
      enableOfflineQueue: false,
      // a frozen Redis (SIGSTOP, a paused VM) keeps the socket open and never answers
      commandTimeout: commandTimeoutMs,
      // concurrent requests' reads (status: snapshot, counts, the in-flight job) share round trips
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    }),
    logger,
    'commands',
  );
}

/** Never connected itself: BullMQ duplicates it for QueueEvents' blocking reads. */
export function createEventsConnection(url: string, logger: Logger): Redis {
  return watch(
    new Redis(url, {
      connectionName: 'duckmig-api-events',
      maxRetriesPerRequest: null,
      lazyConnect: true,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    }),
    logger,
    'events',
  );
}

/** Connects, or fails with a message naming where Redis was expected. */
export async function connectRedis(redis: Redis, url: string): Promise<void> {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redisLocation(url)} (REDIS_URL): ${(err as Error).message}`, { cause: err });
  }
}
