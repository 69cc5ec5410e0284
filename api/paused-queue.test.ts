// A queue paused from outside (queue.pause(), what bull-board's "Pause" button does)
// takes no job: the status, the metrics and the CLI say so, and run / dry-run requests
// are answered at once with 409 queue-paused instead of waiting for a job that cannot start.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody, StatusResponse } from '../contract/index.js';
import { renderStatus } from '../cli/remote/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });
});
afterEach(async () => {
  await h.queue.resume();
  await h.drain();
});
afterAll(async () => {
  await h?.close();
});

const status = async () => StatusResponse.parse(await (await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' })).json());

describe('a paused queue', () => {
  it('shows in the status JSON and in the CLI status', async () => {
    expect((await status()).queue.paused).toBe(false);
    await h.queue.pause();
    const paused = await status();
    expect(paused.queue.paused).toBe(true);
    expect(renderStatus(paused, 'http://api')).toMatch(/queue +PAUSED/);
    await h.queue.resume();
    expect((await status()).queue.paused).toBe(false);
  });

  it('shows in the metrics', async () => {
    const gauge = async () => /^duckmig_queue_paused (\d)$/m.exec(await (await h.call('/metrics', { role: 'viewer' })).text())?.[1];
    expect(await gauge()).toBe('0');
    await h.queue.pause();
    expect(await gauge()).toBe('1');
  });

  it('answers a dry-run with ?wait and a run at once with 409 queue-paused, enqueuing nothing', async () => {
    await h.queue.pause();
    for (const path of ['/dry-run?wait=30', '/run']) {
      const started = Date.now();
      const res = await h.call(`${ADMIN_PREFIX}${path}`, { method: 'POST', role: 'operator', json: {} });
      expect(res.status, path).toBe(409);
      const body = ErrorBody.parse(await res.json());
      expect(body.error.code).toBe('queue-paused');
      expect(body.error.message).toMatch(/paused/);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect(await h.queue.count()).toBe(0);
  });
});
