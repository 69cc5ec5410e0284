// How the API delivers the built UI: hashed assets compressed (brotli or gzip, as the
// browser accepts) and cached for a year; index.html revalidated with an ETag (304 when
// unchanged); source maps never published. The fixture is a UI folder laid out as the
// build writes it: hashed files with their .br and .gz copies, and a stray map.
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test/support/api-harness.js';

const SCRIPT = `console.log(${JSON.stringify('duckmig '.repeat(2_000))});\n`;
const STYLE = `body { color: #123; }\n`.repeat(200);
const INDEX = '<!doctype html><title>duckmig</title><script type="module" src="/assets/index-CbRglxxE.js"></script>';
const JS = '/assets/index-CbRglxxE.js';
const CSS = '/assets/index-BC2NiOLy.css';

const base = mkdtempSync(join(tmpdir(), 'duckmig-ui-'));
const dir = join(base, 'ui');
const h = useApiHarness({ uiDir: dir });

async function writeWithCopies(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await writeFile(`${path}.br`, brotliCompressSync(text));
  await writeFile(`${path}.gz`, gzipSync(text));
}

beforeAll(async () => {
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(base, 'secret.txt'), 'outside the UI folder');
  await writeWithCopies(join(dir, 'index.html'), INDEX);
  await writeWithCopies(join(dir, JS), SCRIPT);
  await writeWithCopies(join(dir, CSS), STYLE);
  await writeFile(join(dir, `${JS}.map`), '{"version":3,"sources":["../../ui/src/main.ts"],"sourcesContent":["secret source"]}');
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => h.call(path, { headers });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('compressed assets', () => {
  it('sends brotli to a browser that accepts it, and says it varies by Accept-Encoding', async () => {
    const res = await get(JS, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Encoding')).toBe('br');
    expect(res.headers.get('Vary')).toMatch(/Accept-Encoding/i);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    const body = await bytes(res);
    expect(Number(res.headers.get('Content-Length'))).toBe(body.length);
    expect(body.length).toBeLessThan(Buffer.byteLength(SCRIPT) / 4);
    expect(brotliDecompressSync(body).toString()).toBe(SCRIPT);
  });

  it('sends gzip when brotli is not accepted (or refused with q=0)', async () => {
    for (const accept of ['gzip, deflate', 'br;q=0, gzip;q=0.8']) {
      const res = await get(CSS, { 'Accept-Encoding': accept });
      expect(res.headers.get('Content-Encoding'), accept).toBe('gzip');
      expect(res.headers.get('Content-Type'), accept).toMatch(/^text\/css/);
      expect(gunzipSync(await bytes(res)).toString(), accept).toBe(STYLE);
    }
  });

  it('sends the file as it is to a client that accepts no encoding', async () => {
    const res = await get(JS);
    expect(res.headers.get('Content-Encoding')).toBeNull();
    expect(res.headers.get('Vary')).toMatch(/Accept-Encoding/i);
    expect(await res.text()).toBe(SCRIPT);
  });

  it('compresses index.html too, for the deep links that fall back to it', async () => {
    const res = await get('/history', { 'Accept-Encoding': 'br' });
    expect(res.headers.get('Content-Encoding')).toBe('br');
    expect(brotliDecompressSync(await bytes(res)).toString()).toBe(INDEX);
  });
});

describe('cache headers', () => {
  it('lets browsers keep hashed assets for a year without asking again', async () => {
    for (const path of [JS, CSS]) {
      const res = await get(path, { 'Accept-Encoding': 'br' });
      expect(res.headers.get('Cache-Control'), path).toBe('public, max-age=31536000, immutable');
    }
  });

  it('has browsers revalidate index.html, at / and at deep links', async () => {
    for (const path of ['/', '/index.html', '/history', '/jobs/42']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('Cache-Control'), path).toBe('no-cache');
      expect(res.headers.get('ETag'), path).toMatch(/^"[^"]+"$/);
      expect(await res.text(), path).toBe(INDEX);
    }
  });

  it('answers 304 without a body when the ETag still matches, 200 once it does not', async () => {
    const first = await get('/', { 'Accept-Encoding': 'gzip' });
    const etag = first.headers.get('ETag')!;
    const again = await get('/', { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('ETag')).toBe(etag);
    expect(again.headers.get('Cache-Control')).toBe('no-cache');

    // another encoding is another representation: its own ETag
    const identity = await get('/', { 'If-None-Match': etag });
    expect(identity.status).toBe(200);
    expect(identity.headers.get('ETag')).not.toBe(etag);
    expect(await identity.text()).toBe(INDEX);

    await writeWithCopies(join(dir, 'index.html'), `${INDEX}<!-- rebuilt -->`);
    const rebuilt = await get('/', { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
    expect(rebuilt.status).toBe(200);
    expect(gunzipSync(await bytes(rebuilt)).toString()).toBe(`${INDEX}<!-- rebuilt -->`);
    await writeWithCopies(join(dir, 'index.html'), INDEX);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await h.call(JS, { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Encoding')).toBe('br');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('');
  });
});

describe('source maps', () => {
  it('are never served, even when a build left one beside its script', async () => {
    for (const path of [`${JS}.map`, '/assets/anything.js.map']) {
      const res = await get(path, { 'Accept-Encoding': 'gzip, br' });
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('secret source');
    }
  });
});

describe('files outside the UI folder', () => {
  it('are never served, however the path is spelled', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt']) {
      const res = await get(path);
      expect(await res.text(), path).not.toContain('outside');
    }
  });
});
