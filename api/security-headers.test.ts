// The UI, Swagger UI and the API answer with a strict Content-Security-Policy (scripts
// from duckmig's own origin only: no inline script, no eval), no framing, nosniff and
// no referrer, so an injected string can neither run script nor be framed for clickjacking.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duckmig-ui-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>duckmig</title>');
  h = await startApiHarness({ uiDir: dir });
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

function directives(csp: string | null): Map<string, string[]> {
  return new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
}

describe('security headers', () => {
  it('serve the UI, the API docs and API answers with a strict CSP and the usual headers', async () => {
    for (const [path, role] of [['/', undefined], ['/api/docs', 'viewer'], [`${API_PREFIX}/whoami`, 'viewer']] as const) {
      const res = await h.call(path, { role });
      expect(res.status, path).toBe(200);
      const csp = directives(res.headers.get('Content-Security-Policy'));
      expect(csp.get('script-src'), path).toEqual(["'self'"]);
      expect(csp.get('default-src'), path).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(csp.get('object-src'), path).toEqual(["'none'"]);
      expect(res.headers.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(res.headers.get('Referrer-Policy'), path).toBe('no-referrer');
      expect(res.headers.get('X-Frame-Options'), path).toBe('DENY');
    }
  });
});
