// Bad input never gets a 5xx: malformed JSON, wrong types, unknown fields, wrong
// media types and oversized bodies all get a 4xx with the one JSON error shape.
import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX, ErrorBody } from '../contract/index.js';
import { useApiHarness } from '../test/support/api-harness.js';

const h = useApiHarness({ rateLimit: { limit: 10_000, windowMs: 60_000 }, maxBodyBytes: 64 * 1024 });

interface Case {
  name: string;
  path: string;
  body?: string;
  contentType?: string;
  status: number;
  code: string;
}

const RUN = `${ADMIN_PREFIX}/run`;
const DRY = `${ADMIN_PREFIX}/dry-run`;
const RESTORE = `${ADMIN_PREFIX}/restore`;
const JSON_TYPE = 'application/json';

const cases: Case[] = [
  { name: 'malformed JSON', path: RUN, body: '{"target": 1', contentType: JSON_TYPE, status: 400, code: 'bad-request' },
  { name: 'empty JSON body', path: RUN, body: '', contentType: JSON_TYPE, status: 400, code: 'bad-request' },
  { name: 'a JSON array', path: RUN, body: '[]', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'JSON null', path: RUN, body: 'null', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'a JSON string', path: DRY, body: '"run"', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'target as a string', path: RUN, body: '{"target":"3"}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'fractional target', path: RUN, body: '{"target":1.5}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'zero target', path: DRY, body: '{"target":0}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'reason too long', path: RUN, body: JSON.stringify({ reason: 'x'.repeat(501) }), contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'allOrNothing as a string', path: RUN, body: '{"allOrNothing":"yes"}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'unknown field', path: RUN, body: '{"target":1,"force":true}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'unknown field on dry-run', path: DRY, body: '{"rehearse":true,"x":1}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'prototype pollution attempt', path: RUN, body: '{"__proto__":{"admin":true}}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'restore without a body', path: RESTORE, status: 400, code: 'invalid-request' },
  { name: 'empty restore point', path: RESTORE, body: '{"restorePointId":""}', contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'text/plain body', path: RUN, body: '{}', contentType: 'text/plain', status: 415, code: 'unsupported-media-type' },
  { name: 'form body', path: DRY, body: 'target=1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported-media-type' },
  { name: 'body without content type', path: RUN, body: '{"target":1}', status: 415, code: 'unsupported-media-type' },
  { name: 'deeply nested JSON', path: RUN, body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, contentType: JSON_TYPE, status: 400, code: 'invalid-request' },
  { name: 'huge body', path: RUN, body: JSON.stringify({ reason: 'x'.repeat(70 * 1024) }), contentType: JSON_TYPE, status: 413, code: 'payload-too-large' },
];

describe('bad request bodies', () => {
  for (const c of cases) {
    it(`answers ${c.status} ${c.code} to ${c.name}`, async () => {
      const headers: Record<string, string> = { ...h.auth('admin') };
      if (c.contentType) headers['Content-Type'] = c.contentType;
      const res = await h.api.app.request(c.path, { method: 'POST', headers, body: c.body });
      expect(res.status).toBe(c.status);
      const body = ErrorBody.parse(await res.json());
      expect(body.error.code).toBe(c.code);
      expect(await h.queue.count()).toBe(0);
    });
  }

  it('names the offending field in the zod issue details', async () => {
    const res = await h.call(RUN, { method: 'POST', role: 'operator', json: { target: 'three', extra: 1 } });
    const { error } = ErrorBody.parse(await res.json());
    expect(error.message).toBe('the request body does not match the schema');
    const details = error.details as { target: string; issues: { path: unknown[]; code: string }[] };
    expect(details.target).toBe('body');
    expect(details.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: ['target'], code: 'invalid_type' }),
        expect.objectContaining({ code: 'unrecognized_keys' }),
      ]),
    );
  });

  it('answers 413 to an oversized body streamed without a Content-Length', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await h.api.app.request(RUN, {
      method: 'POST',
      headers: { ...h.auth('operator'), 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('payload-too-large');
  });

  it('accepts a body just under the limit when it is valid', async () => {
    const res = await h.call(RUN, { method: 'POST', role: 'operator', json: { reason: 'x'.repeat(500) } });
    expect(res.status).toBe(202);
  });
});

describe('bad paths and parameters', () => {
  it('answers 400 to a job id that is too long', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/jobs/${'x'.repeat(300)}`, { role: 'viewer' });
    expect(res.status).toBe(400);
    expect(ErrorBody.parse(await res.json()).error).toMatchObject({ code: 'invalid-request', details: { target: 'param' } });
  });

  it('answers 404 JSON to unknown routes and methods', async () => {
    for (const [method, path] of [
      ['GET', `${API_PREFIX}/nope`],
      ['GET', RUN],
      ['PUT', `${ADMIN_PREFIX}/status`],
      ['GET', '/admin/queues/'],
    ] as const) {
      const res = await h.call(path, { method, role: 'admin' });
      expect(res.status, `${method} ${path}`).toBe(404);
      if (path !== '/admin/queues/') expect(ErrorBody.parse(await res.json()).error.code).toBe('not-found');
    }
  });

  it('answers 400 to a bad live-channel filter', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/events/sse?jobId=${'x'.repeat(300)}`, { role: 'viewer' });
    expect(res.status).toBe(400);
  });

  it('answers 426 to a plain GET on the WebSocket endpoint', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/events`, { role: 'viewer' });
    expect(res.status).toBe(426);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('upgrade-required');
  });

  it('carries a request id on every answer, errors included', async () => {
    const res = await h.call(RUN, { method: 'POST', headers: { 'X-Request-Id': 'deploy-42' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('X-Request-Id')).toBe('deploy-42');
    const fresh = await h.call(`${API_PREFIX}/whoami`, { role: 'viewer' });
    expect(fresh.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
