// Per-token rate limiting on mutating routes, counted in Redis so that several API
// instances share one budget per token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { createApp } from './app.js';
import { createTokenStore } from './tokens.js';

let h: ApiHarness;
// An hour-long window: a test never straddles two windows in practice.
const rateLimit = { limit: 3, windowMs: 3_600_000 };

beforeAll(async () => {
  h = await startApiHarness({ rateLimit });
});
afterAll(async () => {
  await h?.close();
});

const dryRun = (app: ApiHarness['api']['app'], role: 'operator' | 'admin') =>
  app.request(`${ADMIN_PREFIX}/dry-run`, { method: 'POST', headers: h.auth(role) });

describe('rate limit', () => {
  it('answers 429 with Retry-After once a token exceeds its budget, and only for that token', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await dryRun(h.api.app, 'operator');
      expect(res.status).toBe(202);
      expect(res.headers.get('RateLimit-Remaining')).toBe(String(2 - i));
    }
    const limited = await dryRun(h.api.app, 'operator');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(ErrorBody.parse(await limited.json()).error).toMatchObject({ code: 'rate-limited', details: { limit: 3 } });

    // other mutating routes share the budget; reads are not limited; other tokens are unaffected
    const cancel = await h.api.app.request(`${ADMIN_PREFIX}/jobs/x/cancel`, { method: 'POST', headers: h.auth('operator') });
    expect(cancel.status).toBe(429);
    expect((await h.api.app.request(`${ADMIN_PREFIX}/status`, { headers: h.auth('operator') })).status).toBe(200);
    expect((await dryRun(h.api.app, 'admin')).status).toBe(202);
  });

  it('holds across API instances sharing Redis', async () => {
    const second = createApp({
      queue: h.queue,
      queueEvents: h.queueEvents,
      redis: h.redis,
      tokens: createTokenStore(Object.values(h.tokens)),
      rateLimit,
      uiDir: null,
    });
    try {
      // admin used 1 of 3 above
      expect((await dryRun(second.app, 'admin')).status).toBe(202);
      expect((await dryRun(h.api.app, 'admin')).status).toBe(202);
      expect((await dryRun(second.app, 'admin')).status).toBe(429);
    } finally {
      second.close();
    }
  });
});
