// End to end in Chromium against the real API, worker and Redis, with a real local HTTP
// receiver as the webhook endpoint: a run scheduled for later appears in the Migrations
// page's scheduled runs (live, without a reload) with the migrations of its pinned plan; a
// viewer sees Cancel disabled with the reason; an admin's Cancel asks first, and once
// confirmed the run is gone from the queue and from every open page. The run dialog
// schedules a run for a time given. The webhook delivery log (admins only) starts empty,
// then shows the delivery made to the receiver, naming the endpoint by host, never its
// URL. The new screens pass axe-core (no serious or critical violation, desktop light and
// 390×844 dark) and never scroll sideways on the phone. DUCKMIG_SCREENSHOTS=1 also saves
// both screens to docs/screenshots/ for the README, as ui.e2e.test.ts does.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  API_PREFIX,
  ScheduledRunsResponse,
  StatusResponse,
  WebhookBody,
  WebhookDeliveriesResponse,
  type EnqueuedResponse,
} from '../../contract/index.js';
import { expectAccessible, shot } from '../support/axe.js';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { call } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

/** the endpoint's path: part of its URL, which counts as a secret */
const HOOK_PATH = `/hooks/${randomBytes(8).toString('hex')}`;
const SECRET = randomBytes(24).toString('hex');
/** how often a wait for the worker re-reads the API (nothing announces these two conditions) */
const POLL_MS = 200;

let receiver: WebhookReceiver;
let system: RunningSystem;
let browser: Browser;
let admin: Page;
let viewer: Page;

beforeAll(async () => {
  ensureUiBuilt();
  receiver = await startWebhookReceiver();
  const migrations = { ...initialSchemaOnly(), '002_add_notes.sql': 'CREATE TABLE notes (id INTEGER, body VARCHAR);\n' };
  [system, browser] = await Promise.all([
    startSystem({ migrations, env: { DUCKMIG_WEBHOOKS: `json:${receiver.url}${HOOK_PATH}`, DUCKMIG_WEBHOOK_SECRET: SECRET } }),
    launchChromium(),
  ]);
  admin = await signedInPage(browser, system.url, system.tokens.admin, 30_000);
  viewer = await signedInPage(browser, system.url, system.tokens.viewer, 30_000);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await receiver?.close();
});

/** the pending migrations' files and the plan id of them all, once the worker has published its status */
async function pendingPlan(): Promise<{ files: string[]; planId: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call(system.url, `${ADMIN_PREFIX}/status?view=full`, { token: system.tokens.viewer });
    const pending = StatusResponse.parse(body).snapshot?.status.pending;
    if (pending?.length) return { files: pending.map((m) => m.file), planId: pending.at(-1)!.planId };
    if (Date.now() > deadline) throw new Error('the worker published no status with pending migrations within 60 s');
    await delay(POLL_MS);
  }
}

async function scheduledRuns(): Promise<ScheduledRunsResponse> {
  return ScheduledRunsResponse.parse((await call(system.url, `${ADMIN_PREFIX}/scheduled`, { token: system.tokens.viewer })).body);
}

/** a datetime-local value (the browser's and this process's time zone) `ms` from now, to the minute */
function localInputValue(ms: number): string {
  const when = new Date(Math.ceil((Date.now() + ms) / 60_000) * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}T${two(when.getHours())}:${two(when.getMinutes())}`;
}

it('the delivery log starts empty, and says so', async () => {
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await admin.getByRole('heading', { level: 1, name: 'Webhook deliveries' }).waitFor();
  await admin.getByTestId('deliveries-empty').getByText('No deliveries yet').waitFor();
  await expectAccessible(admin, 'empty delivery log');
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Migrations' }).click();
  await admin.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
}, 120_000);

let cancelledJobId = '';

it('a scheduled run appears live with its plan; a viewer cannot cancel it; an admin cancels it after confirming and it is gone', async () => {
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Migrations' }).click();
  const { files, planId } = await pendingPlan();
  const at = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 1000) * 1000).toISOString();
  const res = await call<EnqueuedResponse>(system.url, `${ADMIN_PREFIX}/run`, { token: system.tokens.operator, body: { reason: 'night release', at, plan: planId } });
  expect(res.status).toBe(202);
  expect(res.body.scheduledFor).toBe(at);
  const { jobId } = res.body;
  cancelledJobId = jobId;

  // both open pages show it without a reload: the live channel announces the delayed job
  const listed = admin.getByTestId('scheduled-runs').locator(`[data-job-id="${jobId}"]`);
  const viewerListed = viewer.getByTestId('scheduled-runs').locator(`[data-job-id="${jobId}"]`);
  await listed.getByText('night release', { exact: false }).waitFor();
  await viewerListed.getByText('night release', { exact: false }).waitFor();
  await listed.getByText('operator', { exact: true }).waitFor();
  await listed.getByText(/Pinned to plan/).waitFor();
  const shownMigrations = await listed.getByRole('list', { name: 'Migrations it would apply' }).getByRole('listitem').allInnerTexts();
  expect(shownMigrations.map((text) => text.trim())).toEqual(files.map((file) => file.replace(/\.sql$/, '')));

  // the viewer: Cancel stays visible, inert, and says why
  const viewerCancel = viewerListed.getByRole('button', { name: /^Cancel the run scheduled for/ });
  expect(await viewerCancel.getAttribute('aria-disabled')).toBe('true');
  expect(await viewerCancel.getAttribute('aria-describedby')).toBe('scheduled-cancel-denied');
  expect((await viewer.locator('#scheduled-cancel-denied').innerText()).trim()).toBe('Cancelling is not available: viewers cannot cancel runs.');
  await viewerCancel.dispatchEvent('click');
  expect(await viewer.getByRole('dialog').count()).toBe(0);
  await listed.scrollIntoViewIfNeeded();
  await shot(admin, 'scheduled-runs');
  await expectAccessible(viewer, 'scheduled runs (viewer)');
  await expectAccessible(admin, 'scheduled runs (admin)');

  // the admin: Cancel asks first; "Keep it" keeps it
  const cancel = listed.getByRole('button', { name: /^Cancel the run scheduled for/ });
  await cancel.click();
  const dialog = admin.getByRole('dialog', { name: 'Cancel the scheduled run' });
  await dialog.getByText(jobId).waitFor();
  await expectAccessible(admin, 'cancel confirmation');
  expect((await scheduledRuns()).runs.map((r) => r.jobId)).toEqual([jobId]);
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect((await scheduledRuns()).runs.map((r) => r.jobId)).toEqual([jobId]);

  await cancel.click();
  await dialog.getByRole('button', { name: 'Cancel the run' }).click();
  await admin.getByRole('status').getByText(`(job ${jobId}) was cancelled: removed from the queue, nothing applied`, { exact: false }).waitFor();
  await listed.waitFor({ state: 'detached' });
  await viewerListed.waitFor({ state: 'detached' });

  // gone from the queue: no job, nothing scheduled, the run slot free, nothing applied
  expect((await call(system.url, `${ADMIN_PREFIX}/jobs/${jobId}`, { token: system.tokens.viewer })).status).toBe(404);
  expect((await scheduledRuns()).runs).toEqual([]);
  const status = StatusResponse.parse((await call(system.url, `${ADMIN_PREFIX}/status?view=full`, { token: system.tokens.viewer })).body);
  expect(status.activeJob).toBeNull();
  expect(status.snapshot?.status.pending.map((m) => m.file)).toEqual(files);
}, 240_000);

it('the run dialog schedules a run for the time given, and it is listed for that time', async () => {
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Migrations' }).click();
  const { files } = await pendingPlan();
  await admin.getByRole('button', { name: 'Run migrations…' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Run migrations' });
  await dialog.getByLabel(/^Reason/).fill('after hours');
  const startAt = localInputValue(3 * 3600_000);
  await dialog.getByLabel(/^Start at/).fill(startAt);
  const runAnyway = dialog.getByRole('checkbox', { name: /Run anyway/ });
  if (await runAnyway.isVisible()) await runAnyway.check();
  await dialog.getByRole('button', { name: `Schedule ${files.length} migrations` }).click();
  await admin.getByRole('status').getByText(/is scheduled for/).waitFor();

  const [run, ...more] = (await scheduledRuns()).runs;
  expect(more).toEqual([]);
  expect(run).toMatchObject({ scheduledFor: new Date(startAt).toISOString(), requestedBy: 'admin', reason: 'after hours', awaitingApproval: false });
  expect(run!.plan).not.toBeNull();
  await admin.getByTestId('scheduled-runs').locator(`[data-job-id="${run!.jobId}"]`).getByText('after hours', { exact: false }).waitFor();
}, 180_000);

it('the delivery log shows the delivery made to the local receiver by host, never its URL or secret; viewers cannot see it', async () => {
  const isQueued = (r: ReceivedRequest) => r.path === HOOK_PATH && WebhookBody.parse(JSON.parse(r.body)).data.jobId === cancelledJobId;
  const received = WebhookBody.parse(JSON.parse((await receiver.requests.next(isQueued, 60_000)).body));
  expect(received.event).toBe('run.queued');

  // the worker logs the attempt once the receiver answered: wait for the log to have it
  const deadline = Date.now() + 30_000;
  while (!WebhookDeliveriesResponse.parse((await call(system.url, `${API_PREFIX}/admin/webhooks/deliveries`, { token: system.tokens.admin })).body).deliveries.some((d) => d.deliveryId === received.deliveryId)) {
    if (Date.now() > deadline) throw new Error(`delivery ${received.deliveryId} not in the log within 30 s`);
    await delay(POLL_MS);
  }

  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await admin.getByRole('button', { name: 'Refresh' }).click();
  const row = admin.getByTestId('deliveries').locator(`tr[data-delivery="${received.deliveryId}"]`);
  await row.waitFor();
  const cells = (await row.getByRole('cell').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  expect(cells[1]).toBe(`run.queued job ${cancelledJobId}`);
  expect(cells[2]).toContain(new URL(receiver.url).host);
  expect(cells[2]).toContain('json');
  expect(cells[3]).toBe('1');
  expect(cells[4]).toBe('200');
  expect(cells[5]).toBe('');
  const text = await admin.locator('body').innerText();
  expect(text).not.toContain(HOOK_PATH);
  expect(text).not.toContain(SECRET);
  await shot(admin, 'webhook-deliveries');
  await expectAccessible(admin, 'delivery log');

  // a viewer: no Webhooks in the navigation, and the page says why without reading the log
  expect(await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  const asked: string[] = [];
  viewer.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith(`${API_PREFIX}/admin/webhooks`)) asked.push(request.url());
  });
  await viewer.goto(`${system.url}/#/webhooks`);
  await viewer.getByTestId('deliveries-denied').getByText('viewers cannot see the webhook delivery log').waitFor();
  expect(asked).toEqual([]);
}, 180_000);
