// End to end in Chromium with DUCKMIG_APPROVALS=destructive: the operator's run dialog says
// the destructive batch needs approval from another admin, and the request it sends waits
// in the pending-approvals panel with its plan's SQL, Approve / Reject disabled for the
// operator with the reason shown; another admin approves in the panel and the run applies.
// The dialog and the panel pass axe-core (desktop light, phone dark).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { ensureUiBuilt, launchChromium, signedInPage } from '../support/browser.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  ensureUiBuilt();
  const migrations = { ...initialSchemaOnly(), '002_scratch_cleanup.sql': 'CREATE TABLE scratch (id INTEGER);\nDROP TABLE scratch;\n' };
  [system, browser] = await Promise.all([startSystem({ migrations, extraAdminTokens: 1, env: { DUCKMIG_APPROVALS: 'destructive' } }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

it('an operator requests a destructive run in the UI; another admin approves it in the panel and it runs', async () => {
  const operator = await signedInPage(browser, system.url, system.tokens.operator, 20_000);
  await operator.getByRole('button', { name: 'Run migrations…' }).click();
  const dialog = operator.getByRole('dialog', { name: 'Run migrations' });
  await dialog.getByTestId('needs-approval').getByText(/needs approval from another admin/).waitFor();
  await expectAccessible(operator, 'run dialog of a run that needs approval');
  await dialog.getByLabel(/^Reason/).fill('drop the scratch table');
  const runAnyway = dialog.getByRole('checkbox', { name: /Run anyway/ });
  if (await runAnyway.isVisible()) await runAnyway.check();
  await dialog.getByRole('button', { name: /^Apply 2 migrations$/ }).click();

  const mine = operator.getByTestId('approvals').getByRole('article', { name: 'Run requested by operator' });
  await mine.getByText('drop the scratch table', { exact: false }).waitFor();
  expect(await mine.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
  await mine.getByTestId('why-not').getByText(/only an admin may approve/).waitFor();

  const admin = await signedInPage(browser, system.url, system.moreAdminTokens[0]!, 20_000);
  const request = admin.getByTestId('approvals').getByRole('article', { name: 'Run requested by operator' });
  await request.locator('summary', { hasText: '002_scratch_cleanup' }).click();
  await request.getByText('DROP TABLE scratch').waitFor();
  await request.getByLabel('Comment').fill('fine');
  await expectAccessible(admin, 'pending approvals, a request opened');
  await request.getByRole('button', { name: 'Approve' }).click();

  await admin.getByTestId('current-version').filter({ hasText: /^\s*2\s*$/ }).waitFor({ timeout: 60_000 });
  await admin.getByTestId('approvals').waitFor({ state: 'detached' });
}, 180_000);
