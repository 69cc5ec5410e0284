// Open probes: /healthz (the process answers) and /readyz (Redis answers a PING
// within a second; 503 JSON otherwise). The only routes that need no token.
import type { Env, Hono } from 'hono';
import type { RedisConnection } from '../config/redis-connection.js';
import { errorBody } from './errors.js';
import { requestLogger } from './request-log.js';

export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export interface HealthOptions {
  redis: RedisConnection;
  timeoutMs?: number;
}

export function registerHealthRoutes(app: Hono<Env>, { redis, timeoutMs = 1_000 }: HealthOptions): void {
  app.get('/healthz', function healthz(c) {
    return c.json({ status: 'ok' });
  });

  app.get('/readyz', async function readyz(c) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('PING timed out')), timeoutMs);
    });
    try {
      await Promise.race([redis.ping(), timeout]);
      return c.json({ status: 'ready' });
    } catch (err) {
      requestLogger(c)?.warn({ err }, 'not ready: redis');
      return c.json(errorBody('redis-unavailable', 'Redis does not answer'), 503);
    } finally {
      clearTimeout(timer);
    }
  });
}
