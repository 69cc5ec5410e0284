// The browser side of the end-to-end tests: Debian's Chromium driven by playwright-core
// (never a downloaded browser), and the built admin UI that the API serves from dist/ui.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './system.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** newest modification time under a folder (for "is the built UI older than its sources") */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/ui when it is missing, older than ui/, or lacks its compressed copies (CI builds it in `npm ci`). */
export function ensureUiBuilt(): void {
  const index = join(REPO_ROOT, 'dist/ui/index.html');
  if (existsSync(`${index}.br`) && statSync(index).mtimeMs >= newest(join(REPO_ROOT, 'ui'))) return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
}

/** Launches Chromium headless; each launch has a fresh temporary profile, each context a clean cookie jar. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A desktop-sized page in a new context, signed in to the UI at `url` with `token`, on the Migrations page. */
export async function signedInPage(browser: Browser, url: string, token: string, timeoutMs = 30_000): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.goto(`${url}/`);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
  return page;
}
