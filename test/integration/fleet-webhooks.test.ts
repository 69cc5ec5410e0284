// Fleet runs announced to webhooks, through real processes: the API (fleet.run.queued) and
// one fleet worker (`duckmig worker` over five DuckDB files, coordinating the runs and
// delivering the webhooks queue), one Redis, a real HTTP receiver. A run whose canary fails
// is announced queued → started → wave 0 started/finished → halted; a run with a failure
// within the halt rule runs both waves and ends failed; a clean dry-run succeeds. Every end
// carries the totals (counts, outcomes by result, failures by error code), no per-target
// events are sent, and every body is signed. The targets' poison table is made by hand, not
// by a migration (drift), so the runs apply anyway (allowDrift).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePoisonTemplate } from '../support/fleet.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_PREFIX, FleetRun, type FleetRunRequest, type WebhookBody } from '../../contract/index.js';
import { call } from '../support/live.js';
import { manage, startSystem, type ManagedChild, type RunningSystem } from '../support/system.js';
import { signedBody, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'fleet-webhooks-secret-0123456789';
const TARGETS = ['t0', 't1', 't2', 't3', 't4'];
/** their second migration fails on these */
const POISONED = new Set(['t0', 't4']);
const MIGRATIONS = {
  '001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR);\n',
  '002_audit.sql': "CREATE TABLE audit (happened_at TIMESTAMP);\nSELECT CASE WHEN count(*) > 0 THEN error('poisoned target') END FROM poison;\n",
};

let dir: string;
let receiver: WebhookReceiver;
let sys: RunningSystem;
let worker: ManagedChild & { start(): Promise<void> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-hooks-'));
  mkdirSync(join(dir, 'migrations'));
  mkdirSync(join(dir, 'tenants'));
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, 'migrations', name), sql);
  await writePoisonTemplate(join(dir, 'clean.template'), false);
  await writePoisonTemplate(join(dir, 'poisoned.template'), true);
  for (const id of TARGETS) copyFileSync(join(dir, POISONED.has(id) ? 'poisoned.template' : 'clean.template'), join(dir, 'tenants', `${id}.duckdb`));

  receiver = await startWebhookReceiver();
  const webhooks = { DUCKMIG_WEBHOOKS: `json:${receiver.url}/fleet`, DUCKMIG_WEBHOOK_SECRET: SECRET };
  sys = await startSystem({ apiOnly: true, env: webhooks });
  worker = manage(
    {
      name: 'worker',
      readyEvent: 'worker:ready',
      env: {
        ...process.env,
        ...webhooks,
        REDIS_URL: sys.redis.url,
        DUCKMIG_DATABASES: join(dir, 'tenants', '*.duckdb'),
        DUCKMIG_SHARD: 'shard-a',
        DUCKMIG_WORKER_ID: 'worker-a',
        DUCKMIG_MIGRATIONS: join(dir, 'migrations'),
        DUCKMIG_DATA_DIR: join(dir, 'data'),
        DUCKMIG_RESTORE_POINTS: 'off',
        DUCKMIG_DUCKDB_THREADS: '1',
        DUCKMIG_LEASE_TTL_MS: '30000',
        DUCKMIG_FLEET_SCAN_MS: '3600000',
        LOG_LEVEL: 'info',
      },
    },
    () => undefined,
  );
  await worker.start();
  await worker.waitForOutput('"event":"fleet:consuming"', 110_000);
}, 180_000);

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await sys?.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const FINAL = new Set(['fleet.run.halted', 'fleet.run.succeeded', 'fleet.run.failed']);
const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as WebhookBody;

/** Starts a fleet run through the API (operator) and returns every signed event of it once its end arrived, in arrival order. */
async function announced(request: FleetRunRequest): Promise<WebhookBody[]> {
  const res = await call(sys.url, `${FLEET_PREFIX}/runs`, { token: sys.tokens.operator, body: request });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const runId = FleetRun.parse(res.body).id;
  await receiver.requests.next((r) => bodyOf(r).data.jobId === runId && FINAL.has(bodyOf(r).event), 120_000);
  return receiver.requests.received.filter((r) => bodyOf(r).data.jobId === runId).map((r) => signedBody(r, SECRET));
}

const waveOf = (e: WebhookBody) => (e.data.wave ? `${e.event}#${e.data.wave.index}` : e.event);

describe('fleet-run events reach a webhook, signed, in order, with totals at the end', () => {
  it('a failing canary: queued, started, the canary wave, halted with the skipped targets counted', async () => {
    const events = await announced({ mode: 'run', reason: 'release 2', waves: [{ name: 'canary', count: 1 }, {}], allowDrift: true });
    expect(events.map(waveOf)).toEqual(['fleet.run.queued', 'fleet.run.started', 'fleet.wave.started#0', 'fleet.wave.finished#0', 'fleet.run.halted']);
    expect(events.every((e) => e.data.requestedBy === 'operator' && e.data.reason === 'release 2' && e.data.mode === 'run')).toBe(true);
    expect(events[2]!.data.wave).toEqual({ index: 0, name: 'canary', targets: 1 });
    expect(events[3]!.data.wave).toMatchObject({ index: 0, name: 'canary', targets: 1, succeeded: 0, failed: 1 });
    const end = events.at(-1)!.data;
    expect(end.summary).toEqual({
      counts: { targets: 5, succeeded: 0, failed: 1, skipped: 4, pending: 0 },
      byResult: { failed: 1, skipped: 4 },
      failedBy: { 'migration-failed': 1 },
    });
    expect(end.message).toContain('canary');
  }, 180_000);

  it('a failure within the halt rule: both waves run and the run ends failed, with its failures by code', async () => {
    const select = { ids: ['t1', 't2', 't3', 't4'] };
    const events = await announced({ mode: 'run', select, waves: [{ count: 1 }, {}], halt: { maxFailedPercent: 50 }, allowDrift: true });
    expect(events.map(waveOf)).toEqual([
      'fleet.run.queued',
      'fleet.run.started',
      'fleet.wave.started#0',
      'fleet.wave.finished#0',
      'fleet.wave.started#1',
      'fleet.wave.finished#1',
      'fleet.run.failed',
    ]);
    expect(events[5]!.data.wave).toMatchObject({ index: 1, targets: 3, succeeded: 2, failed: 1 });
    const end = events.at(-1)!.data;
    expect(end.errorCode).toBe('targets-failed');
    expect(end.summary).toEqual({
      counts: { targets: 4, succeeded: 3, failed: 1, skipped: 0, pending: 0 },
      byResult: { succeeded: 3, failed: 1 },
      failedBy: { 'migration-failed': 1 },
    });
  }, 180_000);

  it('a clean dry-run succeeds; no event names a single target', async () => {
    const events = await announced({ mode: 'dry-run', select: { ids: ['t1', 't2'] }, waves: [{}] });
    expect(events.map(waveOf)).toEqual(['fleet.run.queued', 'fleet.run.started', 'fleet.wave.started#0', 'fleet.wave.finished#0', 'fleet.run.succeeded']);
    expect(events.at(-1)!.data).toMatchObject({ mode: 'dry-run', summary: { counts: { targets: 2, succeeded: 2, failed: 0 } } });
    const all = receiver.requests.received.map((r) => r.body).join('\n');
    for (const id of TARGETS) expect(all).not.toContain(`"${id}"`);
    expect(receiver.requests.received.every((r) => String(r.headers['x-duckmig-event']).startsWith('fleet.'))).toBe(true);
  }, 180_000);
});
