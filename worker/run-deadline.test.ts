// Specification of the worker's wait for a run's confirmation (its `accepted` key, set by
// the API right after the enqueue): true as soon as the key exists, also when it comes a
// moment after the job was picked up (the usual case: the worker is faster than the API's
// confirming write), without waiting out a long poll; false once the deadline and the clock
// margin have passed without it. A real Redis.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { CLOCK_MARGIN_MS, awaitConfirmation } from './run-deadline.js';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

it('a job confirmed before the worker looks starts at once', async () => {
  await client.set('accepted:j1', '1');
  expect(await awaitConfirmation(client, 'accepted:j1', Date.now() + 10_000)).toBe(true);
});

it('a confirmation that lands just after the pickup is seen at the next early look, not after the longest wait', async () => {
  // the longest wait between looks is far above the test's timeout: only the early looks can see it
  const waiting = awaitConfirmation(client, 'accepted:j2', Date.now() + 60_000, { pollMs: 60_000 });
  await client.set('accepted:j2', '1');
  expect(await waiting).toBe(true);
});

it('an unconfirmed job is refused once its deadline and the clock margin have passed', async () => {
  let clock = Date.now();
  const notAfter = clock;
  // a clock that jumps past the margin at the second look: no real waiting
  const now = () => (clock += CLOCK_MARGIN_MS);
  expect(await awaitConfirmation(client, 'accepted:never', notAfter, { now })).toBe(false);
  expect(await client.exists('accepted:never')).toBe(0);
});
