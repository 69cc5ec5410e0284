// The API's Redis connections (made by the topology of REDIS_URL: one Redis, a Cluster or a
// Sentinel group). Commands (queue, snapshot reads, rate limit, cancel publish, sessions)
// share one connection with the offline queue disabled and every command bounded by a
// timeout, so a Redis that is away or frozen fails requests fast (503) instead of hanging
// them. QueueEvents gets its own blocking connection (maxRetriesPerRequest: null, as BullMQ
// requires).
import type { Logger } from 'pino';
import type { RedisConnection, RedisTopology } from '../config/redis-connection.js';

function watch(redis: RedisConnection, logger: Logger, role: string): RedisConnection {
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

const retryStrategy = (times: number) => Math.min(times * 200, 2_000);

export function createCommandConnection(topology: RedisTopology, logger: Logger, commandTimeoutMs = REDIS_COMMAND_TIMEOUT_MS): RedisConnection {
  return watch(
    topology.connect({
      name: 'duckmig-api',
      enableOfflineQueue: false,
      // a frozen Redis (SIGSTOP, a paused VM) keeps the socket open and never answers
      commandTimeout: commandTimeoutMs,
      // concurrent requests' reads (status: snapshot, counts, the in-flight job) share round trips
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy,
    }),
    logger,
    'commands',
  );
}

/** Never connected itself: BullMQ duplicates it for QueueEvents' blocking reads. */
export function createEventsConnection(topology: RedisTopology, logger: Logger): RedisConnection {
  return watch(topology.connect({ name: 'duckmig-api-events', maxRetriesPerRequest: null, lazyConnect: true, retryStrategy }), logger, 'events');
}

/** Connects, or fails with a message naming where Redis was expected. */
export async function connectRedis(redis: RedisConnection, topology: RedisTopology): Promise<void> {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${topology.location} (REDIS_URL): ${(err as Error).message}`, { cause: err });
  }
}
