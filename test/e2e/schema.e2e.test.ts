// End to end in Chromium: the Schema page of a database the shipped migrations were applied
// to shows its tables (a table opened: its columns and row count), the schema at an earlier
// applied version (replayed by the worker), and the changes between two versions; on a
// phone the page never scrolls sideways (tables scroll in their own box). Each view passes
// axe-core (no serious or critical violation, desktop light and phone dark).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, FileMigrationSource, MigrationRunner } from '../../core/index.js';
import { expectAccessible, shot } from '../support/axe.js';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { REPO_MIGRATIONS } from '../support/db.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

/** a database at version 4 of the shipped migrations, with two projects */
async function migratedDatabase(path: string): Promise<void> {
  const db = await Database.open(path, { attempts: 1 });
  try {
    const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(REPO_MIGRATIONS), database: db });
    expect((await runner.run()).status).toBe('success');
    await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'One'), ('p2', 'Two')");
  } finally {
    await db.close();
  }
}

describe('the Schema page', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-schema-'));

  beforeAll(async () => {
    ensureUiBuilt();
    const dbPath = join(dir, 'app.duckdb');
    await migratedDatabase(dbPath);
    [system, browser] = await Promise.all([startSystem({ dbPath }), launchChromium()]);
    page = await signedInPage(browser, system.url, system.tokens.viewer, 30_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the live tables; an opened table shows its columns, constraints and row count', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schema', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Schema' }).waitFor();
    await page.getByText('Live database at version 4.').waitFor();
    const projects = page.locator('details[data-table="projects"]');
    await projects.getByText('2 rows').waitFor();
    await projects.locator('summary').click();
    const columns = projects.getByRole('table', { name: 'Columns of projects' });
    await columns.getByRole('row', { name: /context_file_path/ }).waitFor();
    expect(await columns.getByRole('row').count()).toBe(1 + 7);
    await columns.getByRole('row', { name: /context\s+JSON/ }).waitFor();
    await projects.getByText('PRIMARY KEY(id)').waitFor();
    const files = page.locator('details[data-table="files"]');
    await files.locator('summary').click();
    await files.getByText('idx_files_hash').waitFor();
    await page.getByRole('region', { name: 'Macros' }).getByText('get_next_sequence(proj_id, ts)').waitFor();
    await shot(page, 'schema');
    await expectAccessible(page, 'live schema, a table opened');
  }, 60_000);

  it('shows the schema at an earlier applied version', async () => {
    await page.getByLabel('Show').selectOption({ label: 'At version 2' });
    await page.getByText(/Version 2, replayed from 2 applied files/).waitFor();
    await page.locator('details[data-table="links"]').waitFor();
    expect(await page.locator('details[data-table="runs"]').count()).toBe(0);
    await expectAccessible(page, 'schema at version 2');
  }, 60_000);

  it('shows what changed between two versions', async () => {
    const compare = page.getByRole('region', { name: 'Compare versions' });
    // opened directly (the status arrives after the page): it starts at the latest applied version and the one before
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Schema' }).waitFor();
    await compare.getByLabel('From').getByRole('option', { name: 'version 4' }).waitFor({ state: 'attached' });
    expect([await compare.getByLabel('From').inputValue(), await compare.getByLabel('To').inputValue()]).toEqual(['3', '4']);
    await compare.getByLabel('From').selectOption({ label: 'version 2' });
    await compare.getByLabel('To').selectOption({ label: 'version 4' });
    await compare.getByRole('button', { name: 'Show changes' }).click();
    const changes = compare.getByRole('table', { name: 'Schema changes' });
    for (const table of ['files', 'runs', 'upload_settings']) await changes.getByRole('row', { name: new RegExp(`added\\s+table\\s+${table}\\b`) }).waitFor();
    await changes.getByRole('row', { name: /added\s+macro\s+get_next_sequence/ }).waitFor();
    expect(await changes.getByText('dropped', { exact: true }).count()).toBe(0);
    await expectAccessible(page, 'schema changes between two versions');
  }, 60_000);

  it('fits a phone: the page never scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel('Show').selectOption({ label: 'Live database (version 4)' });
    await page.getByText('Live database at version 4.').waitFor();
    await page.locator('details[data-table="files"] summary').click();
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    expect(await page.evaluate('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(390);
  }, 60_000);
});
