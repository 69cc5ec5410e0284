// End to end in Chromium: the UI shows a long statement of a pending migration as a
// truncated preview with its size (fetched when opened; the status carries no SQL), and
// its run dialog pins the run to the previewed plan, so a file edited after the preview
// is refused with the file named and nothing applied.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

const ROOT = resolve(import.meta.dirname, '../..');
/** status as the page itself reads it */
const pendingChecksums = (page: Page) =>
  page.evaluate(async () => {
    const response = await fetch('/api/v1/admin/migrations/status?view=full', { credentials: 'same-origin' });
    const body = (await response.json()) as { snapshot?: { status: { pending: { version: number; checksum: string }[] } } };
    return (body.snapshot?.status.pending ?? []).map((p) => `${p.version}:${p.checksum}`).join(',');
  });

describe('pending SQL preview and a pinned run', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-pin-'));
  const migrationsDir = join(dir, 'migrations');
  const longValue = 'y'.repeat(40 * 1024);

  beforeAll(async () => {
    ensureUiBuilt();
    cpSync(join(ROOT, 'migrations/duckdb'), migrationsDir, { recursive: true });
    writeFileSync(join(migrationsDir, '005_seed_notes.sql'), `CREATE TABLE seed_notes (body VARCHAR);\nINSERT INTO seed_notes VALUES ('${longValue}');\n`);
    [system, browser] = await Promise.all([startSystem({ migrationsDir }), launchChromium()]);
    page = await signedInPage(browser, system.url, system.tokens.operator, 20_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a long statement as a truncated preview with its size, fetched when the migration is opened', async () => {
    const pending = page.getByRole('region', { name: /Pending migrations/ });
    await pending.getByRole('listitem', { name: '005_seed_notes' }).waitFor();
    await pending.getByText('SQL of 005_seed_notes.sql').click();
    await pending.getByText('CREATE TABLE seed_notes').waitFor();
    await pending.getByTestId('sql-truncated').getByText('Showing the first 8.0 KiB of this statement (40 KiB in all).').waitFor();
    const shown = await pending.getByRole('region').or(pending.locator('pre')).allInnerTexts();
    expect(shown.join('').length).toBeLessThan(20 * 1024);
  }, 60_000);

  it('a file edited after the preview: the run dialog\'s run is refused naming the file, nothing is applied', async () => {
    await page.getByRole('button', { name: 'Preview (dry-run)' }).click();
    await page.getByTestId('dry-run').getByText('The batch would succeed.').waitFor({ timeout: 60_000 });

    const before = await pendingChecksums(page);
    writeFileSync(join(migrationsDir, '004_add_upload_settings.sql'), 'DROP TABLE IF EXISTS upload_settings;\n');
    await expect.poll(() => pendingChecksums(page), { timeout: 20_000, interval: 250 }).not.toBe(before);

    await page.getByRole('button', { name: 'Run migrations…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run migrations' });
    await dialog.getByLabel(/^Reason/).fill('as previewed');
    // the dialog sees the change first and asks for an explicit "run anyway"; the run it
    // then sends is still pinned to the previewed plan, which the worker refuses
    await dialog.getByText(/files changed since the preview/i).first().waitFor();
    await dialog.getByRole('checkbox', { name: /Run anyway/ }).check();
    await dialog.getByRole('button', { name: /^Apply \d+ migrations?$/ }).click();
    await dialog.getByRole('alert').getByText(/004_add_upload_settings\.sql changed/).waitFor();
    await page.getByTestId('current-version').filter({ hasText: /^\s*0\s*$/ }).waitFor();
  }, 120_000);
});
