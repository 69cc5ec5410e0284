// /metrics counts answered requests per method, route pattern (not URL) and status, each
// series on its own line and counted across requests.
import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX } from '../contract/index.js';
import { useApiHarness } from '../test/support/api-harness.js';

const h = useApiHarness();

async function scrape(): Promise<string> {
  const res = await h.call('/metrics', { role: 'viewer' });
  expect(res.status).toBe(200);
  return res.text();
}

const count = (text: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`duckmig_http_requests_total${labels} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
};

describe('request metrics', () => {
  it('count each method, route pattern and status as one series', async () => {
    const status = `{method="GET",route="${ADMIN_PREFIX}/status",status="200"}`;
    const refused = `{method="GET",route="${ADMIN_PREFIX}/status",status="401"}`;
    const job = `{method="GET",route="${ADMIN_PREFIX}/jobs/:id",status="404"}`;
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await h.call(`${ADMIN_PREFIX}/status`, { role: 'viewer' })).status).toBe(200);
    expect((await h.call(`${ADMIN_PREFIX}/status`)).status).toBe(401);
    for (const id of ['one', 'two']) expect((await h.call(`${ADMIN_PREFIX}/jobs/${id}`, { role: 'viewer' })).status).toBe(404);
    const after = await scrape();
    expect(count(after, status) - count(before, status)).toBe(3);
    expect(count(after, refused) - count(before, refused)).toBe(1);
    // two URLs, one route pattern
    expect(count(after, job) - count(before, job)).toBe(2);
    expect(after.split('\n').filter((l) => l.startsWith(`duckmig_http_requests_total${status} `))).toHaveLength(1);
    expect(after).toMatch(new RegExp(`^duckmig_http_request_duration_seconds_sum${status.replace(/[{}.*+?^$()|[\]\\/]/g, '\\$&')} \\d+\\.\\d{6}$`, 'm'));
  });
});
