// The committed docs/openapi.json is what the code generates, and the document and
// the app agree on the /api/v1 operations.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { buildOpenApiDocument, openApiJson } from './openapi.js';

describe('OpenAPI document', () => {
  it('matches docs/openapi.json (run `npm run openapi` after changing routes or the contract)', () => {
    const committed = readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(openApiJson());
  });

  it('names contract schemas as components and references them', () => {
    const doc = buildOpenApiDocument();
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['RunRequest', 'DryRunRequest', 'EnqueuedResponse', 'StatusResponse', 'JobView', 'RunResult', 'LiveMessage', 'ErrorBody']),
    );
    const run = doc.paths[`${API_PREFIX}/admin/migrations/run`]?.post;
    expect(run?.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/RunRequest' } } } });
    expect(run?.['x-duckmig-role']).toBe('operator');
  });

  describe('and the app', () => {
    let h: ApiHarness;
    beforeAll(async () => {
      h = await startApiHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('document every /api/v1 operation the app serves, and nothing else', () => {
      const doc = buildOpenApiDocument();
      const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
      const served = [
        ...new Set(
          h.api.app.routes
            .filter((r) => r.method !== 'ALL' && r.path.startsWith(API_PREFIX) && r.path !== `${API_PREFIX}/openapi.json`)
            .map((r) => `${r.method} ${r.path}`),
        ),
      ];
      expect(served.sort()).toEqual(documented.sort());
    });

    it('is served at /api/v1/openapi.json and rendered at /api/docs', async () => {
      const res = await h.call(`${API_PREFIX}/openapi.json`, { role: 'viewer' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(JSON.parse(openApiJson()));
      const docs = await h.call('/api/docs', { role: 'viewer' });
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('/api/docs/assets/swagger-ui-bundle.js');
      // served from this machine, not a CDN, and pointed at our document
      const init = await h.call('/api/docs/assets/init.js', { role: 'viewer' });
      expect(await init.text()).toContain('/api/v1/openapi.json');
      const bundle = await h.call('/api/docs/assets/swagger-ui-bundle.js', { role: 'viewer' });
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect((await h.call('/api/docs/assets/..%2Fpackage.json', { role: 'viewer' })).status).toBe(404);
    });
  });
});
