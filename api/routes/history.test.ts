// GET …/history filters and paging, and GET …/history/export (CSV and JSON), over the
// runs a worker snapshot publishes, against a real Redis.
import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody, HistoryResponse, HistoryRun, WorkerSnapshot, type RunSummary } from '../../contract/index.js';
import { sampleSnapshot, useApiHarness } from '../../test/support/api-harness.js';

const h = useApiHarness({}, (h) => h.redis.del(h.keys.snapshot));

function run(n: number, fields: Partial<RunSummary> = {}): RunSummary {
  const at = new Date(Date.UTC(2026, 10, n, 12)).toISOString();
  return {
    runId: `run-${n}`,
    jobId: `job-${n}`,
    mode: 'apply',
    status: 'success',
    requestedBy: 'ada',
    reason: `deploy ${n}`,
    startedAt: at,
    finishedAt: at,
    durationMs: 10,
    fromVersion: n - 1,
    toVersion: n,
    error: null,
    migrations: [{ version: n, name: `step_${n}`, file: `00${n}_step_${n}.sql`, checksum: 'c'.repeat(64), status: 'applied', statements: 1 }],
    ...fields,
  };
}

/** Nov 1 … Nov 6, published most recent first as the worker does. */
const RUNS: RunSummary[] = [
  run(1),
  run(2, { status: 'failed', requestedBy: 'bob', error: '002_step_2.sql: Catalog Error: table "users" does not exist', toVersion: 1 }),
  run(3, { mode: 'rehearse', status: 'failed', error: 'rehearsal failed at 003', toVersion: 2 }),
  run(4, { status: 'cancelled', requestedBy: 'bob', reason: 'hotfix, "urgent"', toVersion: 3 }),
  run(5, { status: 'crashed', error: 'the worker stopped during the run', toVersion: 4 }),
  run(6, { mode: 'restore', fromVersion: 4, toVersion: 2, migrations: [], reason: 'undo 3 and 4' }),
].reverse();

async function publish(runs: RunSummary[] = RUNS): Promise<void> {
  await h.redis.set(h.keys.snapshot, JSON.stringify(WorkerSnapshot.parse({ ...sampleSnapshot(), runs })));
}

async function history(query: string): Promise<HistoryResponse> {
  const res = await h.call(`${ADMIN_PREFIX}/history${query}`, { role: 'viewer' });
  expect(res.status).toBe(200);
  return HistoryResponse.parse(await res.json());
}
const ids = (body: { runs: { runId: string }[] }) => body.runs.map((r) => r.runId);

describe('GET /history filters', () => {
  it('narrows by outcome, mode and who, together', async () => {
    await publish();
    expect(ids(await history('?outcome=failed'))).toEqual(['run-3', 'run-2']);
    expect(ids(await history('?outcome=failed&mode=apply'))).toEqual(['run-2']);
    expect(ids(await history('?who=BO'))).toEqual(['run-4', 'run-2']);
    expect(ids(await history('?outcome=crashed'))).toEqual(['run-5']);
  });

  it('narrows by date range, a day covering all of it', async () => {
    await publish();
    expect(ids(await history('?from=2026-11-02&to=2026-11-03'))).toEqual(['run-3', 'run-2']);
    expect(ids(await history('?from=2026-11-05T12:00:00Z'))).toEqual(['run-6', 'run-5']);
  });

  it('narrows by migration version or name, a restore touching the versions it removed', async () => {
    await publish();
    expect(ids(await history('?migration=2'))).toEqual(['run-2']);
    expect(ids(await history('?migration=4'))).toEqual(['run-6', 'run-4']);
    expect(ids(await history('?migration=STEP_3'))).toEqual(['run-3']);
  });

  it('searches the reason and the errors', async () => {
    await publish();
    expect(ids(await history('?q=users'))).toEqual(['run-2']);
    expect(ids(await history('?q=urgent'))).toEqual(['run-4']);
  });

  it('refuses unknown outcomes and malformed dates with 400', async () => {
    for (const query of ['?outcome=exploded', '?from=yesterday', '?limit=0', '?limit=1000', '?offset=-1']) {
      const res = await h.call(`${ADMIN_PREFIX}/history${query}`, { role: 'viewer' });
      expect(res.status, query).toBe(400);
      ErrorBody.parse(await res.json());
    }
  });
});

describe('GET /history paging', () => {
  it('pages with limit and offset and counts every match in total', async () => {
    await publish();
    const first = await history('?limit=4');
    expect(first).toMatchObject({ total: 6, offset: 0, limit: 4 });
    expect(ids(first)).toEqual(['run-6', 'run-5', 'run-4', 'run-3']);
    const second = await history('?limit=4&offset=4');
    expect(ids(second)).toEqual(['run-2', 'run-1']);
    const filtered = await history('?outcome=failed&limit=1&offset=1');
    expect(filtered.total).toBe(2);
    expect(ids(filtered)).toEqual(['run-2']);
  });

  it('names who cancelled a run when the API recorded it', async () => {
    await publish();
    await h.redis.set(h.keys.cancelledBy('job-4'), 'carol');
    const body = await history('?outcome=cancelled');
    expect(body.runs[0]).toMatchObject({ runId: 'run-4', cancelledBy: 'carol' });
  });
});

describe('GET /history/export', () => {
  const exportUrl = (query: string) => `${ADMIN_PREFIX}/history/export${query}`;

  it('needs a token', async () => {
    expect((await h.call(exportUrl('?format=csv'))).status).toBe(401);
    expect((await h.call(`${ADMIN_PREFIX}/history`)).status).toBe(401);
  });

  it('downloads the filtered runs as JSON, without paging', async () => {
    await publish();
    const res = await h.call(exportUrl('?format=json&who=bob'), { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="duckmig-runs-.+\.json"$/);
    const runs = HistoryRun.array().parse(await res.json());
    expect(runs.map((r) => r.runId)).toEqual(['run-4', 'run-2']);
  });

  it('downloads CSV with commas, quotes and line breaks escaped (RFC 4180)', async () => {
    const tricky = run(7, { reason: 'line one\nline "two", with comma', requestedBy: 'eve', error: '=HYPERLINK("x")' });
    await publish([tricky, ...RUNS]);
    const res = await h.call(exportUrl('?who=eve'), { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/\.csv"$/);
    const text = await res.text();
    const [header, ...rest] = text.split('\r\n');
    expect(header).toBe('runId,jobId,mode,status,requestedBy,reason,startedAt,finishedAt,durationMs,fromVersion,toVersion,migrations,error,cancelledBy');
    expect(rest.join('\r\n')).toBe(
      `run-7,job-7,apply,success,eve,"line one\nline ""two"", with comma",${tricky.startedAt},${tricky.finishedAt},10,6,7,7:applied,"'=HYPERLINK(""x"")",\r\n`,
    );
  });

  it('is a header line only when nothing matches', async () => {
    await publish();
    const text = await (await h.call(exportUrl('?outcome=invalid'), { role: 'viewer' })).text();
    expect(text.split('\r\n')).toEqual([expect.stringMatching(/^runId,/), '']);
  });
});
