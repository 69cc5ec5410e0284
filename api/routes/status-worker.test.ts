// The summary's ETag against a real worker (in-process, real DuckDB file): a poller
// revalidating with If-None-Match gets 304 while nothing changed, and 200 with a new
// ETag once the worker publishes a snapshot listing a file just added to its directory.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusSummary } from '../../contract/index.js';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.js';
import { sandbox, type Sandbox } from '../../test/support/db.js';
import { loadWorkerConfig } from '../../worker/config.js';
import { startWorker, type WorkerHandle } from '../../worker/main.js';

let h: ApiHarness;
let box: Sandbox;
let worker: WorkerHandle;

beforeAll(async () => {
  h = await startApiHarness();
  box = sandbox();
  const config = loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, REDIS_URL: h.server.url });
  worker = await startWorker(config, pino({ level: 'silent' }), { queueName: h.queue.name });
});
afterAll(async () => {
  await worker?.close();
  await h?.close();
  box?.cleanup();
});

const status = (etag?: string) => h.call(`${ADMIN_PREFIX}/status`, { role: 'viewer', headers: etag ? { 'If-None-Match': etag } : {} });

describe('GET /status with a running worker', () => {
  it('answers 304 to a poller until the worker publishes a new file, then 200 with a new ETag', async () => {
    const first = await status();
    expect(first.status).toBe(200);
    const before = StatusSummary.parse(await first.json());
    expect(before.worker.online).toBe(true);
    const etag = first.headers.get('ETag')!;
    expect((await status(etag)).status).toBe(304);

    const latest = before.schema!.latestVersion;
    const file = `${String(latest + 1).padStart(3, '0')}_add_tags.sql`;
    box.write(file, 'CREATE TABLE tags (id INTEGER);\n');
    await expect.poll(async () => (await status(etag)).status, { timeout: 20_000, interval: 100 }).toBe(200);

    const res = await status(etag);
    expect(res.headers.get('ETag')).not.toBe(etag);
    const after = StatusSummary.parse(await res.json());
    expect(after.schema).toMatchObject({ latestVersion: latest + 1, pendingCount: before.schema!.pendingCount + 1 });
    expect(after.schema!.pending.at(-1)).toEqual({ version: latest + 1, name: 'add_tags' });
  });
});
