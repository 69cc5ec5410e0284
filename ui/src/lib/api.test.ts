import { describe, expect, it } from 'vitest';
import { ApiError, asJobView, createApi, eventsUrl, type FetchLike } from './api.js';

function fakeFetch(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init = {}) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('api client', () => {
  it('sends JSON with the cookie (same-origin) and returns the typed body', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { jobId: '5', statusUrl: '/s', eventsUrl: '/e' }));
    const api = createApi({ fetch });
    await expect(api.run({ reason: 'release 2.4', target: 3 })).resolves.toEqual({ jobId: '5', statusUrl: '/s', eventsUrl: '/e' });
    expect(calls[0]!.url).toBe('/api/v1/admin/migrations/run');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.credentials).toBe('same-origin');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ reason: 'release 2.4', target: 3 });
  });

  it('marks every request, body or not, with X-Duckmig-Request so cookie-authenticated changes are accepted', async () => {
    const { fetch, calls } = fakeFetch((url) => (url.endsWith('/session') ? new Response(null, { status: 204 }) : json(200, {})));
    const api = createApi({ fetch });
    await api.cancel('7');
    await api.signOut();
    await api.run({ reason: 'x' });
    for (const call of calls) expect((call.init.headers as Record<string, string>)['X-Duckmig-Request'], call.url).toBe('1');
  });

  it('turns the API error shape into one ApiError, with the job id of a 409', async () => {
    const { fetch } = fakeFetch(() => json(409, { error: { code: 'run_in_flight', message: 'A run is already in flight', details: { jobId: '12' } } }));
    const error = await createApi({ fetch })
      .run({ reason: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'run_in_flight', message: 'A run is already in flight', jobId: '12' });
  });

  it('reports non-JSON errors and network failures as ApiErrors too', async () => {
    const html = createApi({ fetch: fakeFetch(() => new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' })).fetch });
    await expect(html.status()).rejects.toMatchObject({ status: 502, code: 'http_502' });
    const down = createApi({
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(down.status()).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('calls onUnauthorized on a 401 so the sign-in form comes back', async () => {
    let signedOut = 0;
    const api = createApi({ fetch: fakeFetch(() => json(401, { error: { code: 'unauthorized', message: 'no session' } })).fetch, onUnauthorized: () => signedOut++ });
    await expect(api.history()).rejects.toMatchObject({ status: 401 });
    expect(signedOut).toBe(1);
  });

  it('asks for a restore with the restore point and the reason', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { jobId: '8', statusUrl: '/s', eventsUrl: '/e' }));
    await expect(createApi({ fetch }).restore({ restorePointId: 'rp-1', reason: 'bad release' })).resolves.toMatchObject({ jobId: '8' });
    expect(calls[0]!.url).toBe('/api/v1/admin/migrations/restore');
    expect(calls[0]!.init.method).toBe('POST');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ restorePointId: 'rp-1', reason: 'bad release' });
  });

  it('asks for an inline dry-run answer and tells a JobView from job ids', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { jobId: '9', statusUrl: '/s', eventsUrl: '/e' }));
    const answer = await createApi({ fetch }).dryRun({ rehearse: true }, 30);
    expect(calls[0]!.url).toBe('/api/v1/admin/migrations/dry-run?wait=30');
    expect(asJobView(answer)).toBeNull();
  });

  it('builds the WebSocket URL on the page origin', () => {
    expect(eventsUrl({ protocol: 'https:', host: 'db.example:8443' })).toBe('wss://db.example:8443/api/v1/admin/migrations/events');
    expect(eventsUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/admin/migrations/events');
  });
});
