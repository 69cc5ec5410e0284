// End to end: the admin UI in Debian's Chromium (playwright-core, never a downloaded
// browser) against the real API, worker and Redis, started by test/support/system.ts:
// a fresh DuckDB file (run, history, roles, restore), a failing and a slow migration,
// and a database the old application upgraded (legacy note, an edited applied file).
// Every wait is on page state (locators) or on the API's answer, never a fixed sleep.
// Every screen is also checked with axe-core (no serious or critical violation, at desktop
// size and on a 390×844 phone, light and dark) and, on the phone, for fitting its width.
// DUCKMIG_SCREENSHOTS=1 also saves the main screens to docs/screenshots/*.png for the
// README (the viewport only); normal runs leave those committed files alone.
// One Chromium serves the whole file; each describe block has its own system and contexts.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../core/index.js';
import { legacyUpgrade } from '../fixtures/legacy-app.js';
import { clickInPlace, DESKTOP, expectAccessible, nextFrame, PHONE, shot } from '../support/axe.js';
import { ensureUiBuilt, launchChromium } from '../support/browser.js';
import { rowsOf } from '../support/db.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;
type Role = keyof System['tokens'];

const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = process.env.DUCKMIG_SCREENSHOTS === '1';

/** the screen as it is now at desktop size and on a phone, light and dark, for the README */
async function themeShots(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  for (const [size, sizeName] of [[DESKTOP, 'desktop'], [PHONE, 'narrow']] as const) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme });
      await page.evaluate('window.scrollTo(0, 0)');
      await shot(page, `${name}-${sizeName}-${colorScheme}`);
    }
  }
  await page.setViewportSize(DESKTOP);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** a new browser context (own cookies) signed in as `role` on the migrations page */
async function signIn(browser: Browser, system: System, role: Role): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${system.url}/`);
  await page.getByLabel('Access token').fill(system.tokens[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
  // the harness names each token after its role
  await page.getByRole('banner').getByText(role, { exact: true }).first().waitFor();
  return { context, page };
}

const runButton = (page: Page) => page.getByRole('button', { name: 'Run migrations…' });
const previewButton = (page: Page) => page.getByRole('button', { name: 'Preview (dry-run)' });
const progress = (page: Page) => page.getByTestId('live-progress');
const restorePoints = (page: Page) => page.getByTestId('restore-points');
const nav = (page: Page, name: 'Migrations' | 'History') => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** waits until a locator's text is exactly `text` */
async function waitForText(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).waitFor();
}

/** how many rows the header's items take: items whose boxes overlap vertically share a row */
function headerRows(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const boxes = [...document.querySelectorAll('header :is(a, button, .badge, .name, .dot)')]
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 1 && r.height > 1)
      .sort((a, b) => a.top - b.top);
    let rows = 0;
    let bottom = -Infinity;
    for (const r of boxes) {
      if (r.top >= bottom - 1) rows += 1;
      bottom = r.top >= bottom - 1 ? r.bottom : Math.max(bottom, r.bottom);
    }
    return rows;
  })()`);
}

/** on the phone: the page never scrolls sideways, and the header keeps to two rows */
async function expectFitsPhone(page: Page, screen: string): Promise<void> {
  await nextFrame(page);
  expect(await page.evaluate('document.scrollingElement.scrollWidth'), `${screen}: page width`).toBeLessThanOrEqual(PHONE.width);
  if (await page.getByRole('banner').isVisible()) expect(await headerRows(page), `${screen}: header rows`).toBeLessThanOrEqual(2);
}

/**
 * Goes through every screen as an admin, calling `inspect` on each: the migrations page,
 * a pending migration's SQL, a dry-run result, the run dialog (its Apply clicked where it
 * is shown), the live progress, the history with a run opened, the restore points, the
 * restore dialog (confirmed the same way) and the sign-in form. It runs the 4 pending
 * migrations and restores the point taken before, so it ends where it began.
 */
async function visitEveryScreen(page: Page, token: string, inspect: (screen: string) => Promise<void>): Promise<void> {
  await nav(page, 'Migrations').click();
  await waitForText(page, 'current-version', '0');
  await waitForText(page, 'pending-count', '4');
  await page.getByText('online', { exact: true }).waitFor();
  await inspect('migrations');

  const sql = page.getByText('SQL of 001_initial_schema.sql');
  await sql.click();
  await page.getByRole('region', { name: /Pending migrations/ }).getByText('CREATE TABLE IF NOT EXISTS projects').first().waitFor();
  await inspect('pending SQL');
  await sql.click();

  await previewButton(page).click();
  const preview = page.getByTestId('dry-run');
  await preview.getByText('The batch would succeed.').waitFor();
  await inspect('dry-run result');
  await preview.getByRole('button', { name: 'Close preview' }).click();

  await runButton(page).click();
  const runDialog = page.getByRole('dialog', { name: 'Run migrations' });
  await runDialog.waitFor();
  await runDialog.getByLabel(/^Reason/).fill('e2e: every screen');
  await inspect('run dialog');
  expect(await runDialog.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(true);
  await clickInPlace(page, runDialog.getByRole('button', { name: 'Apply 4 migrations' }));
  await runDialog.waitFor({ state: 'hidden' });
  await progress(page).getByRole('heading', { name: 'Run succeeded' }).waitFor();
  await waitForText(page, 'current-version', '4');
  await inspect('live progress');

  await nav(page, 'History').click();
  const run = page.getByRole('list', { name: 'Runs, newest first' }).getByRole('listitem').first();
  await run.getByText('“e2e: every screen”').waitFor();
  await run.locator('summary').click();
  await run.getByLabel(/^Log of job /).waitFor();
  await inspect('history and run details');

  await nav(page, 'Migrations').click();
  const restore = restorePoints(page).getByRole('button', { name: /^Restore version 0 from rp-/ }).first();
  await restore.waitFor();
  await inspect('restore points');
  await restore.click();
  const restoreDialog = page.getByRole('dialog', { name: 'Restore the database' });
  await restoreDialog.getByLabel(/^Reason/).fill('e2e: back to version 0');
  await inspect('restore dialog');
  await clickInPlace(page, restoreDialog.getByRole('button', { name: 'Restore to version 0' }));
  await progress(page).getByRole('heading', { name: 'Restored to version 0' }).waitFor();
  await waitForText(page, 'pending-count', '4');

  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Access token').waitFor();
  await inspect('sign-in');
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
}

/** opens the run dialog, optionally limits the target, gives a reason and confirms */
async function runFromDialog(page: Page, reason: string, options: { upTo?: string; expect: string[]; runAnyway?: boolean }): Promise<void> {
  await runButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Run migrations' });
  await dialog.waitFor();
  if (options.upTo) await dialog.getByLabel('Apply up to').selectOption({ label: options.upTo });
  const listed = dialog.getByRole('list', { name: 'Migrations that will be applied' }).getByRole('listitem');
  await listed.nth(options.expect.length - 1).waitFor();
  expect(await listed.allInnerTexts()).toEqual(options.expect.map((name) => expect.stringContaining(name)));
  await dialog.getByLabel(/^Reason/).fill(reason);
  if (options.runAnyway) await dialog.getByRole('checkbox', { name: /Run anyway/ }).check();
  await dialog.getByRole('button', { name: /^Apply \d+ migrations?$/ }).click();
  await dialog.waitFor({ state: 'hidden' });
}

// One Chromium for the whole file: each describe block starts its own system (its own
// database and migrations) and signs in through new browser contexts, closed at its end.
let browser: Browser;

beforeAll(async () => {
  ensureUiBuilt();
  browser = await launchChromium();
}, 180_000);

afterAll(() => browser?.close());

describe('admin UI on a fresh database', () => {
  let system: System;
  let admin: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    system = await startSystem();
  }, 180_000);

  afterAll(() => shutDown(system));

  it('signs in with a token and shows who is signed in, with the role', async () => {
    admin = await signIn(browser, system, 'admin');
    const banner = admin.page.getByRole('banner');
    expect(await banner.getByLabel('role: admin').innerText()).toBe('admin');
    // the token is not kept by the page: the session lives in an HttpOnly cookie
    const cookies = await admin.context.cookies();
    expect(cookies.find((c) => c.name === 'duckmig_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await admin.page.evaluate('JSON.stringify(Object.keys(sessionStorage)) + JSON.stringify(Object.keys(localStorage))')).toBe('[][]');
    // the live channel connects with the cookie
    await banner.getByText('Live', { exact: true }).waitFor();
  }, 60_000);

  it('shows 4 pending migrations on a fresh database, with their SQL', async () => {
    const { page } = admin;
    await waitForText(page, 'pending-count', '4');
    await waitForText(page, 'current-version', '0');
    await page.getByText('online', { exact: true }).waitFor();
    for (const name of ['initial_schema', 'add_project_context', 'add_runs_and_files', 'add_upload_settings']) {
      await page.getByRole('listitem', { name: new RegExp(`^\\d{3}_${name}$`) }).waitFor();
    }
    await page.getByText('SQL of 001_initial_schema.sql').click();
    await page.getByRole('region', { name: /Pending migrations/ }).getByText('CREATE TABLE IF NOT EXISTS projects').first().waitFor();
    await shot(page, 'status');
    await page.getByText('SQL of 001_initial_schema.sql').click(); // fold it again
  }, 60_000);

  it('previews a dry-run: the rehearsal succeeds and the database stays at version 0', async () => {
    const { page } = admin;
    await previewButton(page).click();
    const preview = page.getByTestId('dry-run');
    await preview.getByText('The batch would succeed.').waitFor();
    await preview.getByText('The database was not changed.').waitFor();
    expect(await preview.getByRole('table', { name: 'Rehearsal results per migration' }).getByText('rehearsed').count()).toBe(4);
    await waitForText(page, 'current-version', '0');
    await waitForText(page, 'pending-count', '4');
    await shot(page, 'dry-run');
    await preview.getByRole('button', { name: 'Close preview' }).click();
  }, 60_000);

  it('asks for confirmation (Escape closes it, a reason is required), then runs and reaches 100 %', async () => {
    const { page } = admin;
    await runButton(page).click();
    const dialog = page.getByRole('dialog', { name: 'Run migrations' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await runButton(page).click();
    await dialog.getByRole('button', { name: 'Apply 4 migrations' }).click();
    await dialog.getByText('Give a reason').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await runFromDialog(page, 'e2e: first deployment', {
      expect: ['001_initial_schema', '002_add_project_context', '003_add_runs_and_files', '004_add_upload_settings'],
    });
    await progress(page).getByRole('heading', { name: 'Run succeeded' }).waitFor();
    await waitForText(page, 'progress-percent', '100 %');
    expect(await progress(page).getByRole('list', { name: 'Migrations in this run' }).getByText('applied').count()).toBe(4);
    await waitForText(page, 'current-version', '4');
    await page.getByText('up to date', { exact: true }).waitFor();
    // nothing left to apply: the button says why it is not available
    await page.getByText('nothing to apply: the database is up to date').waitFor();
    await shot(page, 'run-complete');
  }, 60_000);

  it('lists the run in the history, opening to its migrations and job log', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    const run = page.getByRole('list', { name: 'Runs, newest first' }).getByRole('listitem').first();
    await run.getByText('success').waitFor();
    await run.getByText('admin', { exact: true }).waitFor();
    await run.getByText('“e2e: first deployment”').waitFor();
    await run.getByText('v0 → v4').waitFor();
    await run.locator('summary').click();
    expect(await run.getByRole('table', { name: 'Results per migration' }).getByText('applied').count()).toBe(4);
    await run.getByLabel(/^Log of job /).waitFor();
    const ledger = page.getByRole('table', { name: 'Applied-migration ledger' });
    await ledger.getByText('004_add_upload_settings').waitFor();
    await shot(page, 'history');
  }, 60_000);

  it('keeps viewers from running: the actions are disabled and say why', async () => {
    const viewer = await signIn(browser, system, 'viewer');
    const { page } = viewer;
    await waitForText(page, 'current-version', '4');
    expect(await runButton(page).isDisabled()).toBe(true);
    expect(await runButton(page).getAttribute('title')).toBe('viewers cannot run migrations');
    await page.getByText('viewers cannot run migrations').waitFor();
    expect(await previewButton(page).isDisabled()).toBe(true);
    expect(await previewButton(page).getAttribute('title')).toBe('viewers cannot start a dry-run');
    // undo starts with a preview (a rehearsal), which viewers cannot start either
    const undo = page.getByRole('button', { name: 'Undo…' });
    expect(await undo.isDisabled()).toBe(true);
    expect(await undo.getAttribute('title')).toBe('viewers cannot start a dry-run');
    // each disabled action says why beside it, not only in its tooltip
    expect(await page.getByText('viewers cannot start a dry-run').count()).toBe(2);
    // clicking a disabled action does nothing
    await runButton(page).click({ force: true });
    expect(await page.getByRole('dialog').count()).toBe(0);
    // the queue dashboard is for admins only
    expect(await page.getByRole('link', { name: /Queue/ }).count()).toBe(0);
    await page.getByText('(admins only)').waitFor();
    await viewer.context.close();
  }, 60_000);

  it('keeps operators from restoring: the restore action is disabled and says why', async () => {
    const operator = await signIn(browser, system, 'operator');
    const { page } = operator;
    const restore = restorePoints(page).getByRole('button', { name: /^Restore version 0 from rp-/ });
    expect(await restore.isDisabled()).toBe(true);
    expect(await restore.getAttribute('title')).toBe('operators cannot restore the database');
    await restorePoints(page).getByText('Restoring is not available: operators cannot restore the database.').waitFor();
    await restore.click({ force: true });
    expect(await page.getByRole('dialog').count()).toBe(0);
    await operator.context.close();
  }, 60_000);

  it('an admin restores the point taken before the run, after confirming what it does', async () => {
    const { page } = admin;
    await nav(page, 'Migrations').click();
    await waitForText(page, 'current-version', '4');
    // the run took one restore point, at version 0, with the run's reason
    const point = restorePoints(page).getByRole('row').filter({ has: page.getByRole('button', { name: /^Restore / }) });
    await point.first().waitFor();
    expect(await point.count()).toBe(1);
    await point.getByText('e2e: first deployment').waitFor();
    await point.getByRole('button', { name: /^Restore version 0 from rp-/ }).click();

    const dialog = page.getByRole('dialog', { name: 'Restore the database' });
    await dialog.waitFor();
    await dialog.getByText('The database goes back to version 0').waitFor();
    await dialog.getByText('(it is at version 4 now)', { exact: false }).waitFor();
    const reverted = dialog.getByRole('list', { name: 'Migrations that become pending again' }).getByRole('listitem');
    expect(await reverted.allInnerTexts()).toEqual(['001_initial_schema', '002_add_project_context', '003_add_runs_and_files', '004_add_upload_settings']);
    await dialog.getByText('The run history is kept').waitFor();
    // Escape closes it and gives focus back to the button that opened it
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label") ?? ""')).toMatch(/^Restore version 0 from rp-/);

    await point.getByRole('button', { name: /^Restore version 0 from rp-/ }).click();
    await dialog.getByRole('button', { name: 'Restore to version 0' }).click();
    await dialog.getByText('Give a reason').waitFor();
    await dialog.getByLabel(/^Reason/).fill('e2e: roll back the first deployment');
    await dialog.getByText('Give a reason').waitFor({ state: 'hidden' });
    await shot(page, 'restore-confirm');
    await dialog.getByRole('button', { name: 'Restore to version 0' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // followed like a run, and the status is back at version 0 with everything pending
    await progress(page).getByRole('heading', { name: 'Restored to version 0' }).waitFor();
    await waitForText(page, 'progress-percent', '100 %');
    await progress(page).getByTestId('restore-point-used').getByText(/version 4 → 0/).waitFor();
    await waitForText(page, 'current-version', '0');
    await waitForText(page, 'pending-count', '4');
    await shot(page, 'restore');
  }, 60_000);

  it('lists the restore in the history with its restore point, and the run with the point it took', async () => {
    const { page } = admin;
    await progress(page).getByRole('link', { name: 'Open in history' }).click();
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    const runs = page.getByRole('list', { name: 'Runs, newest first' }).getByRole('listitem');
    const restore = runs.first();
    await restore.getByText('restore', { exact: true }).waitFor();
    await restore.getByText('v4 → v0').waitFor();
    await restore.getByText('“e2e: roll back the first deployment”').waitFor();
    // opened from the progress panel's link: the restore shows the point it put back
    await restore.getByTestId('run-restore-point').getByText(/^Restored from restore point rp-\S+ \(version 0\) · .+ · sha256 [0-9a-f]{12}$/).waitFor();
    // and the restore point it took of the state it replaced, to undo it
    await restore.getByTestId('run-undo-point').getByText(/^The state it replaced was kept first as restore point rp-\S+ \(version 4\): restore it to undo this restore\.$/).waitFor();
    // the run before it kept its results and shows the restore point it took
    const run = runs.nth(1);
    await run.getByText('v0 → v4').waitFor();
    await run.locator('summary').click();
    await run.getByTestId('run-restore-point').getByText(/^Restore point taken before it applied anything: rp-/).waitFor();
    expect(await run.getByRole('table', { name: 'Results per migration' }).getByText('applied').count()).toBe(4);
  }, 60_000);

  it('shows a queue paused in bull-board', async () => {
    const { page } = admin;
    const queue = new Queue('migrations', { connection: { url: system.redis.url } });
    try {
      await queue.pause();
      await nav(page, 'Migrations').click();
      await page.reload();
      await page.getByTestId('queue-paused').waitFor();
      await queue.resume();
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
      await page.getByText('online', { exact: true }).waitFor();
      expect(await page.getByTestId('queue-paused').count()).toBe(0);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('has no serious or critical accessibility violation on any screen, at desktop size and on a phone', async () => {
    const { page } = admin;
    await visitEveryScreen(page, system.tokens.admin, async (screen) => {
      await expectAccessible(page, screen);
      if (screen === 'live progress') await themeShots(page, 'overview');
    });
  }, 120_000);

  it('fits a 390×844 phone: no sideways scrolling, a two-row header, dialog buttons in view', async () => {
    const { page } = admin;
    await page.setViewportSize(PHONE);
    try {
      await visitEveryScreen(page, system.tokens.admin, (screen) => expectFitsPhone(page, screen));
    } finally {
      await page.setViewportSize(DESKTOP);
    }
    // a viewer's header says why the queue is not theirs, still in two rows
    const viewer = await signIn(browser, system, 'viewer');
    await viewer.page.setViewportSize(PHONE);
    await expectFitsPhone(viewer.page, 'migrations, as a viewer');
    await viewer.context.close();
  }, 120_000);
});

/** A temp folder holding a copy of the repo's migrations (and the test's own files). */
function migrationsCopy(): { dir: string; migrationsDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-'));
  const migrationsDir = join(dir, 'migrations');
  cpSync(join(ROOT, 'migrations/duckdb'), migrationsDir, { recursive: true });
  return { dir, migrationsDir };
}

/** Closes the block's browser contexts, stops its system and removes its temp folder. */
async function shutDown(system: System | undefined, dir?: string): Promise<void> {
  await Promise.all(browser?.contexts().map((context) => context.close()) ?? []);
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

describe('a failing migration', () => {
  let system: System;
  let page: Page;
  let context: BrowserContext;
  const { dir, migrationsDir } = migrationsCopy();

  beforeAll(async () => {
    // Valid SQL that fails when it runs: the foreign key names a table that does not exist.
    // The first statement succeeds, so a partial apply would leave e2e_partial behind.
    writeFileSync(
      join(migrationsDir, '005_broken.sql'),
      [
        '-- 005 broken on purpose (e2e): <script>window.__xss = 1</script> must show as text',
        'CREATE TABLE IF NOT EXISTS e2e_partial (id INTEGER);',
        '',
        'CREATE TABLE IF NOT EXISTS e2e_broken (id INTEGER, parent_id INTEGER REFERENCES e2e_missing_parent (id));',
        '',
      ].join('\n'),
    );
    system = await startSystem({ migrationsDir });
    ({ context, page } = await signIn(browser, system, 'operator'));
  }, 180_000);

  afterAll(() => shutDown(system, dir));

  it('applies 001-004 first (run up to a target version)', async () => {
    await waitForText(page, 'pending-count', '5');
    await runFromDialog(page, 'e2e: up to 004', {
      upTo: '004_add_upload_settings',
      expect: ['001_initial_schema', '002_add_project_context', '003_add_runs_and_files', '004_add_upload_settings'],
    });
    await progress(page).getByRole('heading', { name: 'Run succeeded' }).waitFor();
    await waitForText(page, 'current-version', '4');
    await waitForText(page, 'pending-count', '1');
    await progress(page).getByRole('button', { name: 'Dismiss' }).click();
  }, 60_000);

  it('shows the SQL as text, never as markup', async () => {
    await page.getByText('SQL of 005_broken.sql').click();
    await page.getByText('<script>window.__xss = 1</script>').waitFor();
    expect(await page.evaluate('window.__xss === undefined')).toBe(true);
  }, 60_000);

  it('the dry-run shows the error with its file and line before anything runs', async () => {
    await previewButton(page).click();
    const preview = page.getByTestId('dry-run');
    await preview.getByText('The batch would fail at 005_broken.').waitFor();
    const error = preview.getByRole('group', { name: '005_broken would fail' });
    await error.getByText(/file .*005_broken\.sql, line 4, statement 2/).waitFor();
    await error.getByText(/e2e_missing_parent/).first().waitFor();
    await waitForText(page, 'current-version', '4');
    await shot(page, 'dry-run-failure');
    await preview.getByRole('button', { name: 'Close preview' }).click();
  }, 60_000);

  it('after the failed preview, the run dialog warns and asks to confirm once more', async () => {
    await runButton(page).click();
    const dialog = page.getByRole('dialog', { name: 'Run migrations' });
    const check = dialog.getByTestId('preview-check');
    await check.getByText(/^Preview failed at 005_broken \(.+\): .*e2e_missing_parent/).waitFor();
    expect(await check.getAttribute('role')).toBe('alert');
    await expectAccessible(page, 'run dialog after a failed preview');
    const apply = dialog.getByRole('button', { name: 'Apply 1 migration' });
    expect(await apply.isDisabled()).toBe(true);
    expect(await apply.getAttribute('class')).not.toContain('primary');
    await dialog.getByRole('checkbox', { name: /Run anyway/ }).check();
    expect(await apply.isEnabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }, 60_000);

  it('the run shows the failure and the migration is rolled back', async () => {
    await runFromDialog(page, 'e2e: broken', { expect: ['005_broken'], runAnyway: true });
    await progress(page).getByRole('heading', { name: 'Run failed' }).waitFor();
    const error = progress(page).getByRole('group', { name: '005_broken failed' });
    await error.getByText(/e2e_missing_parent/).first().waitFor();
    await error.getByText(/line 4/).waitFor();
    await waitForText(page, 'current-version', '4');
    await waitForText(page, 'pending-count', '1');
    await shot(page, 'run-failed');
    await expectAccessible(page, 'a failed run');
  }, 60_000);

  it('history filters narrow the runs by outcome, who, migration, search and date, and Reset shows them all again', async () => {
    await nav(page, 'History').click();
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    const runs = page.getByRole('list', { name: 'Runs, newest first' }).getByRole('listitem');
    await runs.filter({ hasText: '“e2e: broken”' }).waitFor();
    expect(await runs.count()).toBe(2); // 001-004 and the failed run (a rehearsal leaves no run behind)
    const filters = page.getByRole('form', { name: 'Filter runs' });
    const apply = async (field: string, value: string) => {
      await filters.getByLabel(field, { exact: true }).fill(value);
      await filters.getByRole('button', { name: 'Apply filters' }).click();
    };
    const reset = async () => {
      await filters.getByRole('button', { name: 'Reset' }).click();
      await waitForText(page, 'runs-range', '1–2 of 2 runs');
    };
    const onlyRun = async (reason: string) => {
      await waitForText(page, 'runs-range', '1–1 of 1 matching run');
      expect(await runs.count()).toBe(1);
      await runs.first().getByText(`“${reason}”`).waitFor();
    };
    const noRun = () => page.getByText('No run matches these filters.').waitFor();

    await filters.getByLabel('Outcome').selectOption('failed');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await onlyRun('e2e: broken');
    const csv = await filters.getByRole('link', { name: 'CSV' }).getAttribute('href');
    expect(csv).toBe('/api/v1/admin/migrations/history/export?outcome=failed&format=csv');
    await expectAccessible(page, 'history, filtered');
    await reset();

    await apply('Who', 'operator');
    await waitForText(page, 'runs-range', '1–2 of 2 matching runs');
    await apply('Who', 'someone-else');
    await noRun();
    await reset();

    await apply('Migration', '002');
    await onlyRun('e2e: up to 004');
    await apply('Migration', '005_broken');
    await onlyRun('e2e: broken');
    await reset();

    await apply('Search reason and errors', 'e2e_missing_parent');
    await onlyRun('e2e: broken');
    await reset();

    // the runs were made today, in the browser's own time zone
    const [today, tomorrow] = await page.evaluate(() => {
      const d = new Date();
      const today = d.toLocaleDateString('en-CA');
      d.setDate(d.getDate() + 1);
      return [today, d.toLocaleDateString('en-CA')];
    });
    await apply('From', today);
    await waitForText(page, 'runs-range', '1–2 of 2 matching runs');
    await apply('From', tomorrow);
    await noRun();
    await reset();
    await context.close();
  }, 90_000);

  it('leaves the database as it was before the failed migration', async () => {
    await system.worker.kill('SIGTERM'); // the worker owns the file: open it only once it is gone
    const db = await Database.open(system.dbPath, { attempts: 3 });
    try {
      const tables = await rowsOf(db, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'e2e_%'");
      expect(tables).toEqual([]);
      const applied = await rowsOf(db, "SELECT version FROM schema_migrations WHERE status IN ('applied', 'adopted') ORDER BY version");
      expect(applied.map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe('cancelling a long migration', () => {
  let system: System;
  let context: BrowserContext;
  const { dir, migrationsDir } = migrationsCopy();

  beforeAll(async () => {
    // one statement that takes several seconds on a 2-core machine
    writeFileSync(
      join(migrationsDir, '005_slow.sql'),
      'CREATE TABLE IF NOT EXISTS e2e_slow AS SELECT range AS n, md5(range::VARCHAR) AS h FROM range(12000000);\n',
    );
    system = await startSystem({ migrationsDir });
  }, 180_000);

  afterAll(() => shutDown(system, dir));

  it('an operator cancels the running migration; it is rolled back and the run says so', async () => {
    let page: Page;
    ({ context, page } = await signIn(browser, system, 'operator'));
    await waitForText(page, 'pending-count', '5');
    await runFromDialog(page, 'e2e: cancel me', {
      expect: ['001_initial_schema', '002_add_project_context', '003_add_runs_and_files', '004_add_upload_settings', '005_slow'],
    });
    const panel = progress(page);
    await panel.getByRole('heading', { name: 'Run in progress' }).waitFor();
    // the live view follows the run: 001-004 applied, 005 running
    await panel.getByText('Migration 5 of 5').waitFor();
    expect(await panel.getByRole('list', { name: 'Migrations in this run' }).getByText('applied').count()).toBe(4);
    await shot(page, 'run-progress');
    await expectAccessible(page, 'live progress of a running migration');
    await panel.getByRole('button', { name: 'Cancel run' }).click();
    // it asks first, saying what stays and what is rolled back
    const confirm = page.getByRole('dialog', { name: /^Cancel run .+\?$/ });
    await confirm.getByText('Migrations already committed stay applied; the current one').waitFor();
    await expectAccessible(page, 'cancel confirmation');
    // confirmed on a phone, where its buttons must be in view
    await page.setViewportSize(PHONE);
    await nextFrame(page);
    await clickInPlace(page, confirm.getByRole('button', { name: 'Cancel the run' }));
    await page.setViewportSize(DESKTOP);
    await panel.getByRole('heading', { name: 'Run cancelled' }).waitFor();
    // a neutral end naming who cancelled, without error advice
    await panel.getByTestId('cancelled-by').getByText('Cancelled by operator.').waitFor();
    expect(await panel.getAttribute('class')).not.toMatch(/\bbad\b/);
    expect(await panel.getByText('Fix the file and run again').count()).toBe(0);
    expect(await panel.getByText('Cancellation requested').count()).toBe(0);
    await waitForText(page, 'current-version', '4');
    await waitForText(page, 'pending-count', '1');
    await context.close();

    await system.worker.kill('SIGTERM');
    const db = await Database.open(system.dbPath, { attempts: 3 });
    try {
      expect(await rowsOf(db, "SELECT table_name FROM information_schema.tables WHERE table_name = 'e2e_slow'")).toEqual([]);
    } finally {
      await db.close();
    }
  }, 90_000);
});

describe('a database the old application upgraded, and an applied file edited afterwards', () => {
  let system: System;
  let page: Page;
  const { dir, migrationsDir } = migrationsCopy();
  const dbPath = join(dir, 'legacy.duckdb');

  beforeAll(async () => {
    // upgraded to version 2 in place by the old application's start-up code, before duckmig
    const db = await Database.open(dbPath);
    try {
      await legacyUpgrade(db.connection, 2);
    } finally {
      await db.close();
    }
    system = await startSystem({ migrationsDir, dbPath });
    ({ page } = await signIn(browser, system, 'operator'));
  }, 180_000);

  afterAll(() => shutDown(system, dir));

  it('notes that the legacy versions were adopted, and shows the 2 migrations after them as pending', async () => {
    await waitForText(page, 'current-version', '2');
    await waitForText(page, 'pending-count', '2');
    const database = page.getByRole('region', { name: 'Database' });
    await database.getByText('Legacy database adopted.').waitFor();
    await database.getByText('listed versions 1, 2; 1, 2 were recorded in the ledger as adopted (not re-run)').waitFor();
    for (const name of ['003_add_runs_and_files', '004_add_upload_settings']) await page.getByRole('listitem', { name }).waitFor();
  }, 60_000);

  it('shows a changed applied file first, with what to do, and Run says why it is not available', async () => {
    await runFromDialog(page, 'e2e: 003 only', { upTo: '003_add_runs_and_files', expect: ['003_add_runs_and_files'] });
    await progress(page).getByRole('heading', { name: 'Run succeeded' }).waitFor();
    await waitForText(page, 'current-version', '3');
    await waitForText(page, 'pending-count', '1');
    await progress(page).getByRole('button', { name: 'Dismiss' }).click();

    // someone edits the applied file; the worker notices and pushes its new status: the page
    // shows the problem without a reload
    appendFileSync(join(migrationsDir, '003_add_runs_and_files.sql'), '\n-- edited after it was applied\n');
    const edited = Date.now();
    const problems = page.getByRole('region', { name: 'A validation problem blocks runs' });
    await problems.waitFor({ timeout: 5_000 });
    expect(Date.now() - edited).toBeLessThan(5_000);

    // the problem comes before everything else on the page
    expect(await page.locator('main section').first().getAttribute('aria-labelledby')).toBe('problems-error-title');
    await problems.getByText(/^checksum-mismatch 003_add_runs_and_files\.sql was changed after it was applied/).waitFor();
    await problems.getByText('What to do: revert the edit (git checkout the file) and put the change in a new migration').waitFor();
    await problems.getByText('Migrations will not run until these are fixed.').waitFor();

    await waitForText(page, 'pending-count', '1');
    expect(await runButton(page).isDisabled()).toBe(true);
    expect(await runButton(page).getAttribute('title')).toBe('fix the validation problems above first');
    await page.getByRole('group', { name: 'Actions' }).getByText('fix the validation problems above first').waitFor();
    await shot(page, 'validation-problem');
    await expectAccessible(page, 'a validation problem');
  }, 60_000);
});

describe('migrations written for goose, with 14-digit timestamp versions', () => {
  let system: System;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-'));
  const migrationsDir = join(dir, 'migrations');

  beforeAll(async () => {
    mkdirSync(migrationsDir);
    writeFileSync(
      join(migrationsDir, '20240101120000_create_e2e_users.sql'),
      '-- +goose Up\nCREATE TABLE e2e_users (id INTEGER);\n\n-- +goose Down\nDROP TABLE e2e_users;\n',
    );
    writeFileSync(
      join(migrationsDir, '20240215093000_add_e2e_name.sql'),
      '-- +goose Up\nALTER TABLE e2e_users ADD COLUMN name VARCHAR;\n\n-- +goose Down\nALTER TABLE e2e_users DROP COLUMN name;\n',
    );
    system = await startSystem({ migrationsDir });
    ({ page } = await signIn(browser, system, 'operator'));
  }, 180_000);

  afterAll(() => shutDown(system, dir));

  it('lists, runs and reports them with their full version numbers', async () => {
    await waitForText(page, 'pending-count', '2');
    const first = page.getByRole('listitem', { name: '20240101120000_create_e2e_users' });
    await first.getByText('20240101120000', { exact: true }).waitFor();
    await first.getByText('1 statement', { exact: true }).waitFor();
    await runFromDialog(page, 'e2e: goose files', { expect: ['20240101120000_create_e2e_users', '20240215093000_add_e2e_name'] });
    await progress(page).getByRole('heading', { name: 'Run succeeded' }).waitFor();
    await progress(page).getByText('20240215093000_add_e2e_name', { exact: true }).waitFor();
    await waitForText(page, 'current-version', '20240215093000');
    await waitForText(page, 'pending-count', '0');

    await progress(page).getByRole('link', { name: 'Open in history' }).click();
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    const run = page.getByRole('list', { name: 'Runs, newest first' }).getByRole('listitem').first();
    await run.getByText('v0 → v20240215093000').waitFor();
    await page.getByRole('region', { name: 'Ledger' }).getByText('20240215093000_add_e2e_name', { exact: true }).waitFor();
  }, 90_000);
});

describe('state pushed over the live channel', () => {
  let system: System;
  let page: Page;

  beforeAll(async () => {
    system = await startSystem();
    ({ page } = await signIn(browser, system, 'operator'));
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
  }, 180_000);

  afterAll(() => shutDown(system));

  it('lists a migration file written into the directory within 2 s, without a reload', async () => {
    await waitForText(page, 'pending-count', '4');
    writeFileSync(join(system.migrationsDir, '005_live_file.sql'), 'CREATE TABLE e2e_live (id INTEGER);\n');
    const written = Date.now();
    await page.getByRole('listitem', { name: '005_live_file' }).waitFor({ timeout: 2_000 });
    await waitForText(page, 'pending-count', '5');
    expect(Date.now() - written).toBeLessThan(2_000);
  }, 60_000);

  it('shows Redis unreachable within 3 s of it stopping, with Run disabled, and live values once it is back', async () => {
    const banner = page.getByRole('banner');
    await page.getByText('online', { exact: true }).waitFor();
    expect(await runButton(page).getAttribute('title')).toBeNull();

    const stopped = Date.now();
    await system.redis.down();
    await banner.getByText('Redis unreachable', { exact: true }).waitFor({ timeout: 3_000 });
    expect(Date.now() - stopped).toBeLessThan(3_000);
    const panel = page.getByTestId('status-panel');
    expect(await panel.getAttribute('data-stale')).toBe('true');
    await panel.getByText(/nothing can be queued until Redis is back/).waitFor();
    expect(await runButton(page).getAttribute('title')).toBe('Redis is unreachable: nothing can be queued until it is back');
    await page.getByText('Redis is unreachable: nothing can be queued until it is back').first().waitFor();
    await shot(page, 'redis-unreachable');
    await expectAccessible(page, 'Redis unreachable');

    await system.redis.up();
    await banner.getByText('Live', { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByTestId('status-panel').and(page.locator('[data-stale="false"]')).waitFor({ timeout: 15_000 });
    await page.getByText('online', { exact: true }).waitFor();
    await waitForText(page, 'pending-count', '5');
    expect(await runButton(page).getAttribute('title')).toBeNull();
    await runButton(page).click();
    await page.getByRole('dialog', { name: 'Run migrations' }).waitFor();
    await page.keyboard.press('Escape');
  }, 60_000);

  it('says it is waiting for a worker while none is online, greyed, and live again once one is back', async () => {
    const panel = page.getByTestId('status-panel');
    await page.getByText('online', { exact: true }).waitFor();
    await system.worker.kill('SIGTERM');
    await panel.getByText(/waiting for a worker/).waitFor({ timeout: 15_000 });
    expect(await panel.getAttribute('data-stale')).toBe('true');
    await expectAccessible(page, 'waiting for a worker');

    await system.worker.restart();
    await panel.and(page.locator('[data-stale="false"]')).waitFor({ timeout: 15_000 });
    await page.getByText('online', { exact: true }).waitFor();
  }, 60_000);
});
