// Talking to a running system in tests: JSON requests with a token, the SSE live channel
// as a message log that tests await (`next(predicate)`), and following one job until it
// finishes (the CLI's own follower, so the tests exercise it too).
import { ADMIN_PREFIX, LiveMessage, type JobView } from '../../contract/index.js';
import { ApiClient } from '../../cli/remote/client.js';
import { followJob, sseData } from '../../cli/remote/follow.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

export async function call<T = unknown>(baseUrl: string, path: string, options: { token: string; method?: string; body?: unknown }): Promise<Answer<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${options.token}`,
      accept: 'application/json',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

export interface LiveLog {
  /** every message received so far, in order */
  readonly messages: LiveMessage[];
  /** resolves with the first message (already received or future) that matches */
  next(predicate: (m: LiveMessage) => boolean, timeoutMs?: number): Promise<LiveMessage>;
  close(): void;
}

/** Opens `…/events/sse` (optionally for one job) and resolves once the stream is open. */
export async function openLive(baseUrl: string, token: string, jobId?: string): Promise<LiveLog> {
  const controller = new AbortController();
  const query = jobId ? `?jobId=${encodeURIComponent(jobId)}` : '';
  const res = await fetch(`${baseUrl}${ADMIN_PREFIX}/events/sse${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
  const messages: LiveMessage[] = [];
  const waiters = new Set<{ predicate: (m: LiveMessage) => boolean; resolve: (m: LiveMessage) => void }>();
  void (async () => {
    try {
      for await (const data of sseData(res.body!)) {
        const parsed = LiveMessage.safeParse(JSON.parse(data));
        if (!parsed.success) continue;
        messages.push(parsed.data);
        for (const w of waiters) {
          if (w.predicate(parsed.data)) {
            waiters.delete(w);
            w.resolve(parsed.data);
          }
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    messages,
    next(predicate, timeoutMs = 60_000) {
      const seen = messages.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise<LiveMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching live message within ${timeoutMs} ms; got: ${messages.map((m) => (m.type === 'progress' ? m.progress.event.type : m.type)).join(', ')}`));
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (m: LiveMessage) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.add(waiter);
      });
    },
    close: () => controller.abort(),
  };
}

/** Waits until the job is completed or failed and returns its final view. */
export function finishedJob(baseUrl: string, token: string, jobId: string, timeoutMs = 90_000): Promise<JobView> {
  return followJob({ client: new ApiClient({ baseUrl, token }), jobId, timeoutMs, pollMs: 250 });
}
