// Specification of the schema routes with a real worker on a real DuckDB file and Redis:
// the live schema (row counts included) comes from the worker's own key; the schema at an
// applied version is replayed once and then served from the cache; a version that is not
// applied is a 404; the diff between two versions names what the files in between added;
// a replay still running answers 202 with its job; a file changed since it was applied
// makes the replay fail (422); every route needs a token and the viewer role suffices.
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnqueuedResponse, ErrorBody, LiveSchema, SCHEMA_PREFIX, SchemaDiffResponse, VersionSchema } from '../../contract/index.js';
import { useApiHarness } from '../../test/support/api-harness.js';
import { openRunner, sandbox, type Sandbox } from '../../test/support/db.js';
import { loadWorkerConfig } from '../../worker/config.js';
import { startWorker, type WorkerHandle } from '../../worker/main.js';

const h = useApiHarness();
let box: Sandbox;
let worker: WorkerHandle;

beforeAll(async () => {
  box = sandbox();
  const { db, runner } = await openRunner(box);
  expect((await runner.run()).status).toBe('success');
  await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'One'), ('p2', 'Two')");
  await db.close();
  const config = loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, REDIS_URL: h.server.url });
  worker = await startWorker(config, pino({ level: 'silent' }), { queueName: h.queue.name });
});
afterAll(async () => {
  await worker?.close();
  box?.cleanup();
});

/** as a viewer (the lowest role), or with no token at all (null) */
const get = (path: string, role: 'viewer' | null = 'viewer') => h.call(`${SCHEMA_PREFIX}${path}`, role ? { role } : {});

describe('GET /admin/schema', () => {
  it('needs a token', async () => {
    for (const path of ['', '/versions/2', '/diff?from=2&to=4']) expect((await get(path, null)).status).toBe(401);
  });

  it('is the live schema the worker published, with row counts and without the ledger', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    const schema = LiveSchema.parse(await res.json());
    expect(schema.version).toBe(4);
    expect(schema.tables.map((t) => t.name)).toEqual(['files', 'links', 'projects', 'repositories', 'runs', 'system_logs', 'upload_settings']);
    expect(schema.excluded).toContain('schema_migrations');
    const projects = schema.tables.find((t) => t.name === 'projects')!;
    expect(projects.rows).toEqual({ estimated: 2, exact: 2 });
    expect(projects.columns.map((c) => c.name)).toEqual(['id', 'name', 'description', 'created_at', 'updated_at', 'context', 'context_file_path']);
    expect(schema.macros.map((m) => m.name)).toEqual(['find_duplicate_file', 'find_previous_file_version', 'get_next_sequence']);
  });
});

describe('GET /admin/schema/versions/:version', () => {
  it('replays an applied version once, then answers from the cache', async () => {
    const res = await get('/versions/2?wait=30');
    expect(res.status).toBe(200);
    const v2 = VersionSchema.parse(await res.json());
    expect(v2.version).toBe(2);
    expect(v2.applied.map((f) => f.version)).toEqual([1, 2]);
    expect(v2.tables.map((t) => t.name)).toEqual(['links', 'projects', 'repositories', 'system_logs']);
    expect(v2.tables.find((t) => t.name === 'projects')!.columns.map((c) => c.name)).toContain('context_file_path');

    const jobsBefore = (await h.queue.getJobs(['completed', 'failed', 'active', 'waiting'])).length;
    const again = await get('/versions/2?wait=0');
    expect(again.status).toBe(200);
    expect(VersionSchema.parse(await again.json())).toEqual(v2);
    expect((await h.queue.getJobs(['completed', 'failed', 'active', 'waiting'])).length).toBe(jobsBefore);
  });

  it('answers 202 with the replay job when told not to wait, and 200 once it finished', async () => {
    const res = await get('/versions/3?wait=0');
    expect(res.status).toBe(202);
    const { jobId } = EnqueuedResponse.parse(await res.json());
    const job = await h.queue.getJob(jobId);
    expect(job?.data).toMatchObject({ kind: 'schema-at', version: 3 });
    await job!.waitUntilFinished(h.queueEvents, 30_000);
    const done = await get('/versions/3?wait=0');
    expect(done.status).toBe(200);
    expect(VersionSchema.parse(await done.json()).tables.map((t) => t.name)).toContain('runs');
  });

  it('is 404 for a version that is not applied', async () => {
    const res = await get('/versions/7');
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('version-not-applied');
  });
});

describe('GET /admin/schema/diff', () => {
  it('names what the files between two versions added', async () => {
    const res = await get('/diff?from=2&to=4&wait=30');
    expect(res.status).toBe(200);
    const diff = SchemaDiffResponse.parse(await res.json());
    expect(diff).toMatchObject({ from: 2, to: 4 });
    expect(diff.changes.every((c) => c.change === 'added')).toBe(true);
    expect(diff.changes.filter((c) => c.kind === 'table').map((c) => c.name)).toEqual(['files', 'runs', 'upload_settings']);
    expect(diff.changes.filter((c) => c.kind === 'macro').map((c) => c.name)).toEqual(['find_duplicate_file', 'find_previous_file_version', 'get_next_sequence']);
    expect(diff.changes).toContainEqual({ kind: 'column', change: 'added', name: 'upload_settings.max_file_size_mb', after: 'INTEGER NOT NULL #3' });

    const back = SchemaDiffResponse.parse(await (await get('/diff?from=4&to=2&wait=30')).json());
    expect(back.changes.filter((c) => c.kind === 'table')).toEqual(diff.changes.filter((c) => c.kind === 'table').map((c) => ({ ...c, change: 'dropped', before: c.after, after: undefined })).map(({ after: _, ...rest }) => rest));
  });

  it('is 404 when either version is not applied', async () => {
    expect((await get('/diff?from=2&to=9')).status).toBe(404);
  });

  it('fails the replay (422) when an applied file changed since', async () => {
    const first = join(box.migrationsDir, '001_initial_schema.sql');
    writeFileSync(first, `${readFileSync(first, 'utf8')}\n-- edited after it was applied\n`);
    const res = await get('/versions/1?wait=30');
    expect(res.status).toBe(422);
    const body = ErrorBody.parse(await res.json());
    expect(body.error.code).toBe('schema-replay-failed');
    expect(body.error.message).toMatch(/001_initial_schema\.sql changed since it was applied/);
  });
});
