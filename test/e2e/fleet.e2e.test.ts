// End to end: the Fleet page in Debian's Chromium against the real API (test/support/
// system.ts, API alone), two real fleet worker processes (`duckmig worker` with a manifest
// each, one shard each) on the same Redis, and 30 real DuckDB target files labelled by tier.
// Before any fleet worker exists the UI offers no Fleet page (a single database looks as
// it always did). An admin starts a fleet run in waves from the page: the grid fills while
// the run is in flight, from the live channel alone (the page reads the run no more once it
// started), a restore point being copied shows by its target until its outcome, its counts
// reach the final numbers (one poisoned target fails in the last wave, within the halt
// rule), and the failed target's drill-down shows its version and error, and, read from the
// file by its owner on request, its ledger, pending migration with its SQL, own run history
// and schema.
// A viewer sees "Start fleet run…" disabled with the reason, and the API refuses the viewer.
// Retrying the failed target (confirmed, with a reason) is a new run over it alone.
// The screens pass axe-core (no serious or critical violation) and fit a 390×844 phone.
// Every wait is on page state, a log line or an event, never a fixed sleep.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { fleetKeys, type FleetEvent } from '../../contract/index.js';
import { writePoisonTemplate } from '../support/fleet.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, expectAccessible, shot } from '../support/axe.js';
import { ensureUiBuilt, launchChromium } from '../support/browser.js';
import { manage, startSystem, type ManagedChild, type RunningSystem } from '../support/system.js';

const SHARDS = ['a', 'b'] as const;
const TARGETS = 30;
const id = (i: number) => `t${String(i).padStart(3, '0')}`;
const shardOf = (i: number) => SHARDS[i % SHARDS.length]!;
const tierOf = (i: number) => (i % 3 === 0 ? 'gold' : 'silver');
/** fails its second migration (rolled back): in the last wave, under the run's 50 % halt share */
const POISONED = 't020';

const MIGRATIONS = {
  '001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR);\n',
  // takes a moment on every target (so the run is seen in flight), fails where poison has a row
  '002_audit.sql':
    'CREATE TABLE audit (happened_at TIMESTAMP, what VARCHAR);\n' +
    'SELECT count(*) FROM range(20000000) t(x) WHERE hash(x) % 7 = 0;\n' +
    "SELECT CASE WHEN count(*) > 0 THEN error('poisoned target') END FROM poison;\n",
};

let dir: string;
let system: RunningSystem;
let browser: Browser;
const workers: (ManagedChild & { start(): Promise<void> })[] = [];
const contexts: BrowserContext[] = [];

function fleetWorker(shard: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: system.redis.url,
    DUCKMIG_FLEET_MANIFEST: join(dir, shard, 'manifest.json'),
    DUCKMIG_SHARD: shard,
    DUCKMIG_WORKER_ID: `worker-${shard}`,
    DUCKMIG_MIGRATIONS: join(dir, 'migrations'),
    DUCKMIG_DATA_DIR: join(dir, `data-${shard}`),
    DUCKMIG_RESTORE_POINTS: 'off',
    DUCKMIG_DUCKDB_THREADS: '1',
    DUCKMIG_FLEET_CONCURRENCY: '1',
    DUCKMIG_LEASE_TTL_MS: '30000',
    DUCKMIG_FLEET_SCAN_MS: '3600000',
    DUCKMIG_LOCK_DURATION_MS: '5000',
    DUCKMIG_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
  };
  return manage({ name: 'worker', env, readyEvent: 'worker:ready' }, () => undefined);
}

/** a new browser context signed in as `role`, on the Migrations page */
async function signIn(role: keyof RunningSystem['tokens']): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'light', reducedMotion: 'reduce' });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${system.url}/`);
  const fleetRead = page.waitForResponse((r) => r.url().endsWith('/api/v1/fleet/status'));
  await page.getByLabel('Access token').fill(system.tokens[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
  // the navigation is final once the fleet's status was read
  expect((await fleetRead).status()).toBe(200);
  return page;
}

const fleetLink = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet', exact: true });

async function openFleet(page: Page): Promise<void> {
  await fleetLink(page).click();
  await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
  await page.getByTestId('fleet-total').filter({ hasText: String(TARGETS) }).waitFor();
}

interface GridSnapshot {
  status: string;
  eta: string;
  counts: Record<string, number>;
}

/** records, in the page, every state the grid shows and every cell's sequence of states */
const RECORD_GRID = `(() => {
  window.__snapshots = [];
  window.__cells = {};
  const record = () => {
    const counts = {};
    for (const cell of document.querySelectorAll('[data-testid="fleet-grid"] li')) {
      const state = cell.dataset.state;
      counts[state] = (counts[state] ?? 0) + 1;
      const seen = (window.__cells[cell.dataset.target] ??= []);
      if (seen.at(-1) !== state) seen.push(state);
    }
    const status = document.querySelector('[data-testid="fleet-run-status"]')?.textContent?.trim() ?? '';
    const eta = document.querySelector('[data-testid="fleet-run-eta"]')?.textContent?.trim() ?? '';
    window.__snapshots.push({ status, eta, counts });
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'], characterData: true });
})()`;

beforeAll(async () => {
  ensureUiBuilt();
  dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-ui-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, 'migrations', name), sql);
  await writePoisonTemplate(join(dir, 'clean.template'), false);
  await writePoisonTemplate(join(dir, 'poisoned.template'), true);
  for (const shard of SHARDS) {
    mkdirSync(join(dir, shard));
    const manifest = [];
    for (let i = 0; i < TARGETS; i++) {
      if (shardOf(i) !== shard) continue;
      copyFileSync(join(dir, id(i) === POISONED ? 'poisoned.template' : 'clean.template'), join(dir, shard, `${id(i)}.duckdb`));
      manifest.push({ id: id(i), path: `${id(i)}.duckdb`, labels: { tier: tierOf(i) } });
    }
    writeFileSync(join(dir, shard, 'manifest.json'), JSON.stringify(manifest));
  }
  system = await startSystem({ apiOnly: true });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Fleet page', () => {
  it('is not offered while the API reports no fleet (a single database looks as before)', async () => {
    const page = await signIn('admin');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Schema', exact: true }).waitFor();
    expect(await fleetLink(page).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('shows the fleet once fleet workers published it: status, targets filtered by label and state', async () => {
    for (const shard of SHARDS) workers.push(fleetWorker(shard));
    await Promise.all(workers.map((w) => w.start()));
    await Promise.all(workers.map((w) => w.waitForOutput('"event":"fleet:consuming"', 110_000)));
    const page = await signIn('admin');
    await openFleet(page);
    await page.getByTestId('fleet-pending').filter({ hasText: String(TARGETS) }).waitFor();
    await page.getByRole('status').filter({ hasText: `Targets 1–${TARGETS} of ${TARGETS}.` }).waitFor();
    await page.getByLabel('Labels', { exact: true }).fill('tier=gold');
    await page.getByRole('button', { name: 'Filter' }).click();
    const gold = Array.from({ length: TARGETS }, (_, i) => i).filter((i) => tierOf(i) === 'gold');
    await page.getByRole('status').filter({ hasText: `Targets 1–${gold.length} of ${gold.length}.` }).waitFor();
    const rows = page.getByRole('group', { name: 'Targets table' }).locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-target')))).toEqual(gold.map(id));
    await page.getByLabel('State', { exact: true }).selectOption({ label: 'up to date' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('status').filter({ hasText: 'No target matches.' }).waitFor();
    await page.context().close();
  }, 180_000);

  it('a viewer sees the run action disabled with the reason, and the API refuses the viewer too', async () => {
    const page = await signIn('viewer');
    await openFleet(page);
    const start = page.getByRole('button', { name: 'Start fleet run…' });
    await start.waitFor();
    expect(await start.getAttribute('aria-disabled')).toBe('true');
    await page.getByText('viewers cannot start fleet runs').waitFor();
    // the browser lets it be clicked (it stays focusable, aria-disabled): nothing opens
    await start.click({ force: true });
    expect(await page.getByRole('dialog', { name: 'Start a fleet run' }).isVisible()).toBe(false);
    const refused = await fetch(`${system.url}/api/v1/fleet/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.tokens.viewer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'run', reason: 'viewer tries' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    await page.context().close();
  }, 60_000);

  it('an admin starts a run in waves; the grid fills live, the counts reach the final numbers, the failed target drills down', async () => {
    const page = await signIn('admin');
    await openFleet(page);
    await page.getByText('No fleet run yet.').waitFor();
    await page.evaluate(RECORD_GRID);
    // after the start, the run is never read again: everything comes over the live channel
    const runReads: string[] = [];
    let started = false;
    page.on('request', (request) => {
      if (started && request.method() === 'GET' && /\/api\/v1\/fleet\/runs\/[^/?]+/.test(request.url())) runReads.push(request.url());
    });

    await page.getByRole('button', { name: 'Start fleet run…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start a fleet run' });
    await dialog.getByLabel('Waves').fill('canary:1,25%,100%');
    await dialog.getByText('In order: canary: 1 target → up to 25 % → the rest.').waitFor();
    await dialog.getByLabel('Halt a later wave when more than this share failed').fill('50%');
    // the targets' poison table was made by hand, not by a migration: their schema drifted
    await dialog.getByRole('checkbox', { name: 'Apply even on targets whose schema drifted' }).check();
    await dialog.getByLabel(/^Reason/).fill('release 1.4 across the fleet');
    started = true;
    await dialog.getByRole('button', { name: 'Start fleet run', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    // a restore point copy under way shows by its target while it runs and goes with its
    // outcome: the sample comes over Redis as a worker publishes one (its own test proves the
    // worker does), for the target of the last wave, so it is still to run
    const redis = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    try {
      const runId = await redis.get(fleetKeys().active);
      const sample: FleetEvent = { type: 'fleet:target-copy', runId: runId!, id: POISONED, bytes: 3 * 2 ** 30, bytesDone: 2 ** 30 };
      await redis.publish(fleetKeys().events, JSON.stringify(sample));
    } finally {
      redis.disconnect();
    }
    const copies = page.getByTestId('fleet-run-copies');
    await copies.filter({ hasText: new RegExp(`${POISONED}\\s+1\\.0 GiB of 3\\.0 GiB`) }).waitFor();
    expect(await copies.getByRole('progressbar', { name: `restore point of ${POISONED}` }).getAttribute('value')).toBe(String(2 ** 30));

    const status = page.getByTestId('fleet-run-status');
    await status.filter({ hasText: /^\s*failed\s*$/ }).waitFor({ timeout: 180_000 });
    const legendCount = (state: string) => page.getByTestId(`fleet-count-${state}`);
    await legendCount('succeeded').filter({ hasText: /^29$/ }).waitFor();
    expect(await legendCount('failed').textContent()).toBe('1');
    expect(await legendCount('pending').textContent()).toBe('0');
    expect(await legendCount('running').textContent()).toBe('0');
    expect(await copies.count(), 'no copy listed once the run ended').toBe(0);
    await page.getByTestId('fleet-run-done').filter({ hasText: `${TARGETS} of ${TARGETS}` }).waitFor();
    expect(await page.getByTestId('fleet-run-rate').textContent()).toMatch(/^\d+\.\d targets\/s$/);
    expect(await page.locator(`[data-testid="fleet-grid"] li[data-target="${POISONED}"]`).getAttribute('aria-label')).toMatch(
      new RegExp(`^${POISONED}: failed, migration-failed.*poisoned target.*wave 3$`),
    );

    // while the run was in flight: cells had finished and others had not, with a time left shown
    const snapshots = await page.evaluate<GridSnapshot[]>('window.__snapshots');
    const midRun = snapshots.filter((s) => s.status === 'running' && (s.counts.succeeded ?? 0) > 0 && (s.counts.pending ?? 0) > 0);
    expect(midRun.length, JSON.stringify(snapshots.slice(-3))).toBeGreaterThan(0);
    expect(midRun.some((s) => /^about /.test(s.eta))).toBe(true);
    const cells = await page.evaluate<Record<string, string[]>>('window.__cells');
    expect(Object.keys(cells).sort()).toEqual(Array.from({ length: TARGETS }, (_, i) => id(i)));
    expect(Object.values(cells).some((seen) => seen.join(',') === 'pending,running,succeeded')).toBe(true);
    expect(cells[POISONED]?.at(-1)).toBe('failed');
    expect(runReads).toEqual([]);

    await shot(page, 'fleet');
    await expectAccessible(page, 'fleet run ended');

    // drill-down: the failed target's version (001 applied, 002 rolled back) and its error
    await page.getByLabel('Labels', { exact: true }).fill('');
    // every target here drifted (its poison table was made by hand), which its state shows before failed
    await page.getByLabel('State', { exact: true }).selectOption({ label: 'drifted' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: POISONED, exact: true }).click();
    const detail = page.getByTestId('fleet-target');
    await detail.getByTestId('fleet-target-version').filter({ hasText: /^1$/ }).waitFor();
    await detail.getByTestId('fleet-target-drift').filter({ hasText: /Schema drifted: \d+ differences?\s*extra table poison/ }).waitFor();
    await detail.getByTestId('fleet-target-error').filter({ hasText: /Last error: migration-failed.*poisoned target/ }).waitFor();
    await detail.getByRole('table').getByText(/migration-failed/).waitFor();
    await expectAccessible(page, 'fleet target detail');

    // what its owner reads from the file, on request: the ledger (001), the pending 002, its own
    // history (the fleet run that failed there, with the error) and its schema (002 rolled back)
    await detail.getByRole('button', { name: 'Read ledger, history and schema' }).click();
    const file = detail.getByTestId('fleet-target-file');
    await file.waitFor();
    expect(await file.getByTestId('fleet-target-ledger').locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^1\s+items\s/)]);
    const pending = file.getByTestId('fleet-target-pending');
    expect(await pending.locator('li summary').allInnerTexts()).toEqual([expect.stringMatching(/^002_audit\.sql\s+3 statements, \d+ B$/)]);
    const history = await file.getByTestId('fleet-target-runs').locator('tbody tr').allInnerTexts();
    expect(history).toEqual([expect.stringMatching(/ apply\s+failed\s.*0 → 1\s+admin\s+release 1\.4 across the fleet\s+002_audit\.sql: .*poisoned target$/s)]);
    expect(await file.getByTestId('fleet-target-schema').locator('[data-table]').evaluateAll((tables) => tables.map((t) => t.getAttribute('data-table')))).toEqual(['items', 'poison']);
    // the pending file's SQL, one click away as in the single database's list
    await pending.getByText('002_audit.sql').click();
    const poisonCheck = pending.getByRole('group', { name: 'statement 3 of 002_audit.sql' });
    await poisonCheck.waitFor();
    expect(await poisonCheck.innerText()).toContain("error('poisoned target')");
    await shot(page, 'fleet-target');
    await expectAccessible(page, 'fleet target read from its file, its pending SQL open');
  }, 300_000);

  it('retries the failed target after confirming: a new run over it alone, halted by its canary', async () => {
    const page = await signIn('admin');
    await openFleet(page);
    await page.getByTestId('fleet-run-status').filter({ hasText: /^\s*failed\s*$/ }).waitFor();
    await page.getByRole('button', { name: 'Retry failed…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry the failed targets' });
    await dialog.getByText('(1 failed.)').waitFor();
    // a reason is required before anything starts
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await dialog.getByText('Give a reason').waitFor();
    await dialog.getByLabel(/^Reason/).fill('poison removed (not really)');
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('fleet-run-status').filter({ hasText: /^\s*halted\s*$/ }).waitFor({ timeout: 120_000 });
    await page.getByTestId('fleet-count-failed').filter({ hasText: /^1$/ }).waitFor();
    expect(await page.getByTestId('fleet-count-not-in-run').textContent()).toBe(String(TARGETS - 1));
    expect(await page.getByTestId('fleet-count-succeeded').textContent()).toBe('0');
    expect(await page.locator(`[data-testid="fleet-grid"] li[data-target="${POISONED}"]`).getAttribute('data-state')).toBe('failed');
    await page.getByTestId('fleet-run-done').filter({ hasText: '1 of 1' }).waitFor();
  }, 180_000);
});
