// Live-channel clients for the service benchmark: the API's SSE stream and its WebSocket
// (the test clients of test/support/live.ts), each recording when every message arrived
// (Date.now() for comparing with the worker's ISO timestamps, performance.now() for
// intervals). Messages are kept in order; a benchmark awaits one with `next(predicate)`.
import { parseLiveMessage } from '../cli/remote/live-events.js';
import { ADMIN_PREFIX, type LiveMessage } from '../contract/index.js';
import { describeLiveMessage, openLive, openSocket, type LiveLog } from '../test/support/live.js';

export interface Received {
  message: LiveMessage;
  /** Date.now() when the message arrived */
  epochMs: number;
  /** performance.now() when the message arrived */
  perfMs: number;
}

export interface LiveClient extends Omit<LiveLog<Received>, 'next'> {
  /** the first message (already received or future) that matches, with its arrival time */
  next(predicate: (m: LiveMessage) => boolean, timeoutMs?: number): Promise<Received>;
}

const stamped = (message: LiveMessage): Received => ({ message, epochMs: Date.now(), perfMs: performance.now() });
const options = { stamp: stamped, describe: (r: Received) => describeLiveMessage(r.message), timeoutMs: 120_000 };

/** A client that has received its first message: the status the hub sends on subscribe. */
async function subscribed(log: LiveLog<Received>): Promise<LiveClient> {
  const client: LiveClient = { ...log, next: (predicate, timeoutMs) => log.next((r) => predicate(r.message), timeoutMs) };
  await client.next((m) => m.type === 'status', 10_000);
  return client;
}

/** Opens `…/events/sse` (all jobs) and resolves once the API has subscribed it. */
export async function openSse(baseUrl: string, token: string): Promise<LiveClient> {
  return subscribed(await openLive(baseUrl, token, options));
}

/** Opens the WebSocket `…/events` (all jobs) and resolves once the API has subscribed it. */
export async function openWebSocket(baseUrl: string, token: string): Promise<LiveClient> {
  const socket = await openSocket(`${baseUrl}${ADMIN_PREFIX}/events`, {
    ...options,
    headers: { authorization: `Bearer ${token}` },
    stamp: (text) => {
      const message = parseLiveMessage(text);
      return message && stamped(message);
    },
  });
  return subscribed(socket);
}
