// Per-token rate limiting for mutating routes, counted in Redis (fixed windows:
// INCR + PEXPIRE in one MULTI) so the limit holds across every API instance.
// Over the limit → 429 with Retry-After; every answer carries RateLimit-* headers.
import type { MiddlewareHandler } from 'hono';
import type { RedisConnection } from '../config/redis-connection.js';
import { ApiError } from './errors.js';
import { requestLogger } from './request-log.js';

export interface RateLimitOptions {
  redis: RedisConnection;
  /** requests allowed per token and window */
  limit: number;
  windowMs: number;
  /** Redis key prefix, e.g. duckmig:migrations:ratelimit */
  keyPrefix: string;
  now?: () => number;
}

export const DEFAULT_RATE_LIMIT = { limit: 30, windowMs: 60_000 } as const;

export function rateLimit({ redis, limit, windowMs, keyPrefix, now = Date.now }: RateLimitOptions): MiddlewareHandler {
  return async function rateLimit(c, next) {
    const at = now();
    const window = Math.floor(at / windowMs);
    const resetInMs = (window + 1) * windowMs - at;
    const key = `${keyPrefix}:${c.get('principal').name}:${window}`;
    // The key is per window, so refreshing its expiry on every hit is harmless and
    // there is no INCR-then-crash path that leaves a key without TTL.
    const replies = await redis.multi().incr(key).pexpire(key, resetInMs + 1_000).exec();
    const [incrError, count] = replies?.[0] ?? [new Error('rate limit: empty MULTI reply'), 0];
    if (incrError) throw incrError;
    const used = Number(count);
    const retryAfter = String(Math.max(1, Math.ceil(resetInMs / 1000)));
    c.header('RateLimit-Limit', String(limit));
    c.header('RateLimit-Remaining', String(Math.max(0, limit - used)));
    c.header('RateLimit-Reset', retryAfter);
    if (used > limit) {
      // one line per token and window (request-log.ts keeps 429s at debug)
      if (used === limit + 1) requestLogger(c)?.warn({ event: 'rate-limited', user: c.get('principal').name, limit, windowMs }, 'rate limit reached for this window');
      throw new ApiError(429, 'rate-limited', `more than ${limit} requests in ${windowMs / 1000} s for this token`, {
        details: { limit, windowMs, retryAfterSeconds: Number(retryAfter) },
        headers: { 'Retry-After': retryAfter },
      });
    }
    await next();
  };
}
