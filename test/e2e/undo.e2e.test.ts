// End to end in Chromium: the Migrations page's Undo… dialog previews the undo (the table
// and column the down scripts drop, with their row counts), keeps the undo disabled until
// that preview succeeded, asks for a reason, and the admin's undo is followed to its end:
// the database is back at the chosen version and the history says who undid it and why.
// The dialog passes axe-core (desktop light, phone dark) and is confirmed on a 390×844 phone.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusResponse } from '../../contract/index.js';
import { clickInPlace, DESKTOP, expectAccessible, nextFrame, PHONE } from '../support/axe.js';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { startSystem, type RunningSystem } from '../support/system.js';

describe('the Undo dialog', () => {
  let system: RunningSystem;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ensureUiBuilt();
    [system, browser] = await Promise.all([
      startSystem({
        migrations: {
          '001_accounts.sql': "CREATE TABLE accounts (id INTEGER, name VARCHAR);\nINSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');\n",
          '001_accounts.down.sql': 'DROP TABLE accounts;\n',
          '002_account_email.sql': "ALTER TABLE accounts ADD COLUMN email VARCHAR;\nUPDATE accounts SET email = 'ann@example.com' WHERE id = 1;\n",
          '002_account_email.down.sql': 'ALTER TABLE accounts DROP COLUMN email;\n',
          '003_orders.sql': 'CREATE TABLE orders (id INTEGER, account_id INTEGER);\nINSERT INTO orders VALUES (1, 1), (2, 3);\n',
          '003_orders.down.sql': 'DROP TABLE orders;\n',
        },
      }),
      launchChromium(),
    ]);
    const applied = await runCli(['run', '--wait', '--api', system.url], { env: { DUCKMIG_TOKEN: system.tokens.operator } });
    expect(applied.code).toBe(0);
    page = await signedInPage(browser, system.url, system.tokens.admin, 20_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('previews what is dropped with row counts, then undoes to the chosen version with a reason', async () => {
    const open = page.getByRole('button', { name: 'Undo…' });
    await open.click();
    const dialog = page.getByRole('dialog', { name: 'Undo migrations' });
    await dialog.waitFor();
    // Escape closes it and gives the focus back to the button that opened it
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate('document.activeElement?.textContent?.trim()')).toBe('Undo…');

    await open.click();
    await dialog.getByLabel('Go back to version').selectOption({ label: '001_accounts' });
    const confirm = dialog.getByRole('button', { name: 'Undo 2 migrations' });
    expect(await confirm.isDisabled()).toBe(true);

    await dialog.getByRole('button', { name: 'Preview the undo' }).click();
    const verdict = dialog.getByTestId('undo-verdict');
    await verdict.getByText('table orders: 2 rows').waitFor({ timeout: 60_000 });
    await verdict.getByText('column accounts.email: 1 value in 3 rows').waitFor();
    await expectAccessible(page, 'undo dialog with its preview');

    await confirm.click();
    await dialog.getByText('Give a reason: it is recorded in the history with the undo.').waitFor();
    await dialog.getByLabel(/^Reason/).fill('e2e: release rolled back');
    // confirmed on a phone, where its buttons must be in view
    await page.setViewportSize(PHONE);
    await nextFrame(page);
    await clickInPlace(page, confirm);
    await page.setViewportSize(DESKTOP);
    await page.getByRole('heading', { name: 'Undo succeeded' }).waitFor({ timeout: 60_000 });
    // the status panel follows once the worker has published the database's new state
    await page.getByTestId('current-version').getByText('1', { exact: true }).waitFor({ timeout: 30_000 });

    const response = await fetch(`${system.url}${ADMIN_PREFIX}/status?view=full`, { headers: { authorization: `Bearer ${system.tokens.viewer}` } });
    const snapshot = StatusResponse.parse(await response.json()).snapshot!;
    expect(snapshot.status.currentVersion).toBe(1);
    expect(snapshot.runs[0]).toMatchObject({ mode: 'undo', status: 'success', requestedBy: 'admin', reason: 'e2e: release rolled back' });
  }, 150_000);
});
