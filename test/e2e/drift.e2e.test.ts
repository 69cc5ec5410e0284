// End to end in Chromium: a database changed by hand (a column added, a table created, an
// index dropped) before the worker started shows a drift banner on the Migrations page with
// one row per difference and both definitions; the run dialog keeps Apply disabled until
// the user says to apply even though the schema drifted, and that run applies. Both pass
// axe-core (desktop light, phone dark).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, FileMigrationSource, MigrationRunner } from '../../core/index.js';
import { expectAccessible } from '../support/axe.js';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { REPO_MIGRATIONS } from '../support/db.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

/** The shipped migrations applied, then changed by hand the way a DuckDB shell would. */
async function driftedDatabase(path: string): Promise<void> {
  const db = await Database.open(path, { attempts: 1 });
  try {
    const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(REPO_MIGRATIONS), database: db });
    expect((await runner.run()).status).toBe('success');
    await db.connection.run('ALTER TABLE projects ADD COLUMN note VARCHAR');
    await db.connection.run('CREATE TABLE scratch (id INTEGER)');
    await db.connection.run('DROP INDEX idx_links_project');
  } finally {
    await db.close();
  }
}

describe('schema drift in the UI', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-e2e-drift-'));

  beforeAll(async () => {
    ensureUiBuilt();
    const dbPath = join(dir, 'app.duckdb');
    await driftedDatabase(dbPath);
    const migrations = Object.fromEntries(readdirSync(REPO_MIGRATIONS).map((f) => [f, readFileSync(join(REPO_MIGRATIONS, f), 'utf8')]));
    migrations['005_tickets.sql'] = 'CREATE TABLE tickets (id INTEGER);\n';
    [system, browser] = await Promise.all([startSystem({ dbPath, migrations }), launchChromium()]);
    page = await signedInPage(browser, system.url, system.tokens.operator, 30_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Migrations page shows the drift with each difference and both definitions', async () => {
    const banner = page.getByRole('region', { name: 'Schema drift' });
    await banner.getByText(/differs from what migrations 1–4 produce \(4 differences/).waitFor();
    const rows = banner.getByRole('table').getByRole('row');
    expect(await rows.count()).toBe(1 + 4);
    await rows.filter({ hasText: 'projects.note' }).filter({ hasText: 'extra' }).filter({ hasText: 'VARCHAR' }).waitFor();
    await rows.filter({ hasText: 'scratch' }).filter({ hasText: 'table' }).first().waitFor();
    await rows.filter({ hasText: 'idx_links_project' }).filter({ hasText: 'missing' }).filter({ hasText: 'ON links [project_id]' }).waitFor();
    await expectAccessible(page, 'drift banner');
  }, 60_000);

  it('the run dialog applies only once told to apply even though the schema drifted', async () => {
    await page.getByRole('button', { name: 'Run migrations…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run migrations' });
    await dialog.getByLabel(/^Reason/).fill('ship 005 despite the hand-made changes');
    await dialog.getByTestId('drift-check').getByText('The schema drifted.').waitFor();
    const apply = dialog.getByRole('button', { name: 'Apply 1 migration' });
    expect(await apply.isDisabled()).toBe(true);
    await expectAccessible(page, 'run dialog on a drifted schema');
    await dialog.getByRole('checkbox', { name: /Apply even though the schema drifted/ }).check();
    await apply.click();
    await page.getByTestId('current-version').filter({ hasText: /^\s*5\s*$/ }).waitFor({ timeout: 60_000 });
    // the hand-made changes are still there: the banner stays
    await page.getByRole('region', { name: 'Schema drift' }).waitFor();
  }, 120_000);
});
