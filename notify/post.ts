// One HTTP attempt: POST the body, give up after the timeout, never follow a redirect
// (a 3xx is a failed attempt), and report the status code and duration, never the
// receiver's body or the URL.
export interface PostOutcome {
  statusCode: number | null;
  ok: boolean;
  /** null when ok; else http-status, redirect, timeout or network */
  error: string | null;
  durationMs: number;
}

export async function postOnce(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null : res.status >= 300 && res.status < 400 ? 'redirect' : 'http-status';
    return { statusCode: res.status, ok, error, durationMs: took() };
  } catch (err) {
    const name = (err as Error)?.name;
    return { statusCode: null, ok: false, error: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network', durationMs: took() };
  }
}
