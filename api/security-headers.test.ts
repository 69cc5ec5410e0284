// The UI, Swagger UI and the API answer with a strict Content-Security-Policy (scripts
// from duckmig's own origin only: no inline script, no eval), no framing, nosniff and
// no referrer, so an injected string can neither run script nor be framed for clickjacking.
// Checked through app.request() and over real HTTP as the API process serves it
// (@hono/node-server), where the headers take another way onto the answer.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;
let dir: string;
let server: ServerType;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duckmig-ui-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>duckmig</title>');
  h = await startApiHarness({ uiDir: dir });
  server = serve({ fetch: h.api.app.fetch, port: 0, hostname: '127.0.0.1' });
  h.api.injectWebSocket(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

function directives(csp: string | null): Map<string, string[]> {
  return new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
}

type Ask = (path: string, role?: 'viewer', headers?: Record<string, string>) => Promise<Response>;

const transports: [string, Ask][] = [
  ['app.request()', (path, role, headers) => h.call(path, { role, headers })],
  ['HTTP (@hono/node-server)', (path, role, headers) => fetch(`${base}${path}`, { headers: { ...(role ? h.auth(role) : {}), ...headers } })],
];

function expectStrict(res: Response, what: string): void {
  const csp = directives(res.headers.get('Content-Security-Policy'));
  expect(csp.get('script-src'), what).toEqual(["'self'"]);
  expect(csp.get('default-src'), what).toEqual(["'self'"]);
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
  expect(csp.get('object-src'), what).toEqual(["'none'"]);
  expect(res.headers.get('X-Content-Type-Options'), what).toBe('nosniff');
  expect(res.headers.get('Referrer-Policy'), what).toBe('no-referrer');
  expect(res.headers.get('X-Frame-Options'), what).toBe('DENY');
}

describe.each(transports)('security headers through %s', (_name, ask) => {
  it('serve the UI, the API docs and API answers with a strict CSP and the usual headers', async () => {
    for (const [path, role] of [['/', undefined], ['/api/docs', 'viewer'], [`${API_PREFIX}/whoami`, 'viewer']] as const) {
      const res = await ask(path, role);
      expect(res.status, path).toBe(200);
      expectStrict(res, path);
      await res.arrayBuffer();
    }
  });

  it('come with refusals and with a status revalidation (304) too, beside the answer\'s own headers', async () => {
    const refused = await ask(`${API_PREFIX}/whoami`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('WWW-Authenticate')).toContain('Bearer');
    expectStrict(refused, '401');
    await refused.arrayBuffer();

    const first = await ask(`${ADMIN_PREFIX}/status`, 'viewer');
    const etag = first.headers.get('ETag');
    expect(etag).toBeTruthy();
    await first.arrayBuffer();
    const again = await ask(`${ADMIN_PREFIX}/status`, 'viewer', { 'If-None-Match': etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get('ETag')).toBe(etag);
    expect(again.headers.get('Cache-Control')).toBe('private, no-cache');
    expectStrict(again, '304');
  });
});
