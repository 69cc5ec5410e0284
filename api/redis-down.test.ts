// When Redis goes away the API answers at once with 503 redis-unavailable JSON
// (the command connection has no offline queue) instead of hanging or a bare 500.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
  const closed = once(h.redis, 'close');
  await h.server.stop();
  await closed;
});
afterAll(async () => {
  await h?.close();
});

describe('Redis unavailable', () => {
  it('answers 503 redis-unavailable JSON quickly on reads and writes', async () => {
    for (const [method, path, role] of [
      ['GET', `${ADMIN_PREFIX}/status`, 'viewer'],
      ['GET', `${ADMIN_PREFIX}/history`, 'viewer'],
      ['GET', `${ADMIN_PREFIX}/jobs/some-id`, 'viewer'],
      ['POST', `${ADMIN_PREFIX}/run`, 'operator'],
      ['POST', `${ADMIN_PREFIX}/dry-run`, 'operator'],
      ['GET', '/metrics', 'viewer'],
    ] as const) {
      const started = Date.now();
      const res = await h.call(path, { method, role });
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(ErrorBody.parse(await res.json()).error.code).toBe('redis-unavailable');
      expect(res.headers.get('Retry-After')).toBe('5');
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('is not ready, but still healthy', async () => {
    const ready = await h.call('/readyz');
    expect(ready.status).toBe(503);
    expect(ErrorBody.parse(await ready.json()).error.code).toBe('redis-unavailable');
    expect((await h.call('/healthz')).status).toBe(200);
  });
});
