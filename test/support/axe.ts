// Accessibility and fit checks for the browser tests: axe-core evaluated in the page (the
// UI's Content-Security-Policy allows no inline <script>, so it is not added as one) and its
// serious and critical violations, one line each; every screen checked at desktop size
// (light) and on a 390×844 phone (dark), where the page must never scroll sideways (a
// table scrolls inside its own box); a button clicked where it is shown; and the README's
// screenshots (DUCKMIG_SCREENSHOTS=1).
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** axe-core's serious and critical violations on the page as it is now, one line each */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate<AxeResults>('axe.run(document, { resultTypes: ["violations"] })');
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** resolves once the page has rendered a frame: a resize takes effect (layout, resize observers) then */
export async function nextFrame(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/**
 * No serious or critical axe violation on this screen at desktop size (light) and on a phone
 * (dark): contrast depends on the theme, most other rules on the layout. On the phone the page
 * never scrolls sideways; the failure names what sticks out (inside a table's own scroll box
 * is fine). Leaves the page at desktop size, light.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  for (const [size, colorScheme] of [[DESKTOP, 'light'], [PHONE, 'dark']] as const) {
    await page.setViewportSize(size);
    await page.emulateMedia({ colorScheme });
    await nextFrame(page);
    expect(await seriousViolations(page), `${screen} at ${size.width}×${size.height}, ${colorScheme}`).toEqual([]);
    if (size === PHONE) {
      const wider = await page.evaluate<string[]>(`[...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-wrap'))
        .slice(0, 5).map((e) => e.tagName + '.' + [...e.classList].join('.') + ' ends at ' + Math.round(e.getBoundingClientRect().right))`);
      expect(await page.evaluate('document.scrollingElement.scrollWidth'), `${screen}: page width (${wider.join(', ')})`).toBeLessThanOrEqual(PHONE.width);
    }
  }
  await page.setViewportSize(DESKTOP);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** clicks a button where it is: it must be inside the viewport already, with nothing covering it */
export async function clickInPlace(page: Page, button: Locator): Promise<void> {
  const box = await button.boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) throw new Error('the button is not shown');
  const inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height;
  expect(inside, `${await button.innerText()} at ${JSON.stringify(box)} is inside ${viewport.width}×${viewport.height}`).toBe(true);
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  const onTop = await button.evaluate((element, [px, py]) => {
    const hit = (element.ownerDocument as { elementFromPoint(x: number, y: number): unknown }).elementFromPoint(px!, py!);
    return hit === element || (hit !== null && element.contains(hit as typeof element));
  }, [x, y]);
  expect(onTop, `${await button.innerText()} is not covered`).toBe(true);
  await page.mouse.click(x, y);
}

const SHOT_DIR = join(resolve(import.meta.dirname, '../..'), 'docs/screenshots');

/** with DUCKMIG_SCREENSHOTS=1, saves what the viewport shows as docs/screenshots/<name>.png (the README keeps its pictures small); otherwise nothing */
export async function shot(page: Page, name: string): Promise<void> {
  if (process.env.DUCKMIG_SCREENSHOTS !== '1') return;
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOT_DIR, `${name}.png`), animations: 'disabled' });
}
