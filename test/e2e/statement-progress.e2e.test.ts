// End to end in Chromium: while a long INSERT … SELECT of a run executes, the progress panel
// names that statement (the one running, not the last finished) and shows DuckDB's percent
// for it moving before the statement ends; then the run completes.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { REPO_ROOT, startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

/** the running statement's percent as the page shows it */
async function shownPercent(page: Page): Promise<number> {
  const text = await page.getByTestId('statement-percent').textContent();
  const match = /^\s*(\d+) %\s*$/.exec(text ?? '');
  if (!match) throw new Error(`no percent shown: ${text}`);
  return Number(match[1]);
}

/** matches a shown percent above `floor` */
const percentAbove = (floor: number) => new RegExp(`^\\s*(${Array.from({ length: 100 - floor }, (_, i) => floor + 1 + i).join('|')}) %\\s*$`);

describe('a long statement in the progress panel', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-progress-'));
  const migrationsDir = join(dir, 'migrations');

  beforeAll(async () => {
    ensureUiBuilt();
    cpSync(join(REPO_ROOT, 'migrations/duckdb'), migrationsDir, { recursive: true, filter: (src) => !src.endsWith('.sql') });
    writeFileSync(join(migrationsDir, '001_source.sql'), 'CREATE TABLE t1 AS SELECT range AS id, md5(range::VARCHAR) AS s FROM range(3000000);\n');
    // a table rebuild's copy with a computed column: seconds of scanning, in steps DuckDB reports
    writeFileSync(join(migrationsDir, '002_copy.sql'), 'CREATE TABLE t2 (id BIGINT, h VARCHAR);\nINSERT INTO t2 SELECT id, md5(s || md5(s)) FROM t1;\n');
    [system, browser] = await Promise.all([startSystem({ migrationsDir }), launchChromium()]);
    page = await signedInPage(browser, system.url, system.tokens.operator, 30_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the running INSERT … SELECT with a percentage that moves before it ends', async () => {
    await page.getByRole('button', { name: 'Run migrations…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run migrations' });
    await dialog.getByLabel(/^Reason/).fill('copy t1');
    await dialog.getByRole('button', { name: 'Apply 2 migrations' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const panel = page.getByTestId('live-progress');
    const step = panel.getByTestId('current-step');
    // the statement that runs is named while it runs
    await step.filter({ hasText: /002_copy.*statement 2 of 2: INSERT INTO t2/ }).waitFor({ timeout: 120_000 });
    await panel.getByTestId('statement-percent').waitFor({ timeout: 120_000 });
    const first = await shownPercent(page);
    expect(first).toBeLessThan(100);
    // a later sample of the same statement: the percentage moved while the statement still runs
    // (the percent is shown only while it runs: statement:done removes it)
    await panel.getByTestId('statement-percent').filter({ hasText: percentAbove(first) }).waitFor({ timeout: 120_000 });
    expect(await step.textContent()).toMatch(/statement 2 of 2: INSERT INTO t2/);

    await page.getByRole('heading', { name: 'Run succeeded' }).waitFor({ timeout: 120_000 });
    expect(await panel.getByTestId('statement-percent').count()).toBe(0);
    await expect(panel.getByTestId('progress-percent').textContent()).resolves.toMatch(/100 %/);
  }, 300_000);
});
