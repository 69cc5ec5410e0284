// Talking to a running system in tests: JSON requests with a token, the live channel over
// SSE (`…/events/sse`, read with the CLI's own reader) or WebSocket (`…/events`, with the
// `ws` client) as a message log that tests await (`next(predicate)`), and following one
// job until it finishes (the CLI's own follower, so the tests exercise it too).
import WebSocket from 'ws';
import { ADMIN_PREFIX, type EnqueuedResponse, type JobView, type LiveMessage } from '../../contract/index.js';
import { ApiClient } from '../../cli/remote/client.js';
import { followJob } from '../../cli/remote/follow.js';
import { liveMessageOf } from '../../cli/remote/live-events.js';
import { sseEvents, type SseEvent } from '../../cli/remote/sse.js';
import { messageLog, type MessageLog } from './message-log.js';

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

export interface LiveLog<T = LiveMessage> extends MessageLog<T> {
  close(): void;
}

export interface SseLiveLog<T = LiveMessage> extends LiveLog<T> {
  /** events that carried no LiveMessage (another event name, or data outside the contract) */
  readonly skipped: SseEvent[];
}

export const describeLiveMessage = (m: LiveMessage) => (m.type === 'progress' ? m.progress.event.type : m.type);

export interface ReadLiveOptions<T> {
  /** turns each message into the log's entry as it arrives (a benchmark adds arrival times) */
  stamp?: (m: LiveMessage) => T;
  /** names an entry in a timeout error */
  describe?: (entry: T) => string;
  /** how long next() waits by default */
  timeoutMs?: number;
}

/** Reads the LiveMessages of an SSE response into a log. */
export function readLive<T = LiveMessage>(res: Response, options: ReadLiveOptions<T> = {}): SseLiveLog<T> {
  if (!res.body) throw new Error(`SSE answered ${res.status} without a body`);
  const stamp = options.stamp ?? ((m: LiveMessage) => m as T);
  const log = messageLog<T>(options.describe ?? ((entry) => describeLiveMessage(entry as LiveMessage)), options.timeoutMs);
  const skipped: SseEvent[] = [];
  const controller = new AbortController();
  void (async () => {
    try {
      for await (const event of sseEvents(res.body!, { signal: controller.signal })) {
        const message = liveMessageOf(event);
        if (message) log.push(stamp(message));
        else skipped.push(event);
      }
    } catch {
      // closed
    }
  })();
  return { ...log, skipped, close: () => controller.abort() };
}

/** Opens `…/events/sse` (optionally for one job) and resolves once the stream is open. */
export async function openLive<T = LiveMessage>(baseUrl: string, token: string, options: ReadLiveOptions<T> & { jobId?: string } = {}): Promise<SseLiveLog<T>> {
  const controller = new AbortController();
  const query = options.jobId ? `?jobId=${encodeURIComponent(options.jobId)}` : '';
  const res = await fetch(`${baseUrl}${ADMIN_PREFIX}/events/sse${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
  const log = readLive(res, options);
  return {
    ...log,
    close: () => {
      log.close();
      controller.abort();
    },
  };
}

/** Matches the progress message saying statement `statementIndex` of migration `version` in job `jobId` is done. */
export const statementDone =
  (jobId: string, version: number, statementIndex = 0) =>
  (m: LiveMessage): boolean =>
    m.type === 'progress' && m.jobId === jobId && m.progress.event.type === 'statement:done' && m.progress.event.version === version && m.progress.event.statementIndex === statementIndex;

/**
 * POSTs a run (it must be accepted: 202) and resolves with its job id once its first
 * statement of migration `version` is done, so the next one is running.
 */
export async function runUntilFirstStatementDone(baseUrl: string, token: string, live: MessageLog<LiveMessage>, version: number, body: unknown = {}): Promise<string> {
  const res = await call<EnqueuedResponse>(baseUrl, `${ADMIN_PREFIX}/run`, { token, body });
  if (res.status !== 202) throw new Error(`POST …/run answered ${res.status}, not 202: ${JSON.stringify(res.body)}`);
  const { jobId } = res.body;
  await live.next(statementDone(jobId, version));
  return jobId;
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`WebSocket upgrade refused: ${status}`);
  }
}

/**
 * Opens a WebSocket (`ws` client, `http:` URLs welcome) and resolves once it is open;
 * rejects with UpgradeRefused (its HTTP status) when the server will not upgrade. Each
 * text frame enters the log through `stamp` (default: the text itself; null skips it).
 */
export async function openSocket<T = string>(
  url: string,
  options: { headers?: Record<string, string>; stamp?: (text: string) => T | null; describe?: (entry: T) => string; timeoutMs?: number } = {},
): Promise<LiveLog<T>> {
  const stamp = options.stamp ?? ((text: string) => text as T);
  const log = messageLog<T>(options.describe ?? String, options.timeoutMs);
  const socket = new WebSocket(url, { headers: options.headers });
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    const entry = stamp(data.toString());
    if (entry !== null) log.push(entry);
  });
  socket.on('error', () => undefined); // while opening, errors reject below; once open, a broken connection just ends the log
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', (req, res) => {
      reject(new UpgradeRefused(res.statusCode ?? 0));
      req.destroy();
    });
    socket.once('error', reject);
  });
  return { ...log, close: () => socket.terminate() };
}

/** Waits until the job is completed or failed and returns its final view. */
export function finishedJob(baseUrl: string, token: string, jobId: string, timeoutMs = 90_000): Promise<JobView> {
  return followJob({ client: new ApiClient({ baseUrl, token }), jobId, timeoutMs, pollMs: 250 });
}
