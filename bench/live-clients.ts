// Live-channel clients for the service benchmark: the API's SSE stream and its WebSocket,
// each recording when every message arrived (Date.now() for comparing with the worker's
// ISO timestamps, performance.now() for intervals). Messages are kept in order; a test
// awaits one with `next(predicate)`. The WebSocket client is minimal (Node 20 has no
// global WebSocket): it sends the upgrade with an Authorization header and reads the
// server's unmasked, unfragmented text frames, which is all the API sends.
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { sseData } from '../cli/remote/follow.js';
import { ADMIN_PREFIX, LiveMessage } from '../contract/index.js';
import { textFrameReader } from '../test/support/ws-frames.js';

export interface Received {
  message: LiveMessage;
  /** Date.now() when the bytes arrived */
  epochMs: number;
  /** performance.now() when the bytes arrived */
  perfMs: number;
}

export interface LiveClient {
  readonly received: Received[];
  /** the first message (already received or future) that matches, with its arrival time */
  next(predicate: (m: LiveMessage) => boolean, timeoutMs?: number): Promise<Received>;
  close(): void;
}

function messageLog(close: () => void): LiveClient & { push(text: string, epochMs: number, perfMs: number): void } {
  const received: Received[] = [];
  const waiters = new Set<{ predicate: (m: LiveMessage) => boolean; resolve: (r: Received) => void }>();
  return {
    received,
    push(text, epochMs, perfMs) {
      let parsed;
      try {
        parsed = LiveMessage.safeParse(JSON.parse(text));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const entry = { message: parsed.data, epochMs, perfMs };
      received.push(entry);
      for (const w of waiters) {
        if (w.predicate(entry.message)) {
          waiters.delete(w);
          w.resolve(entry);
        }
      }
    },
    next(predicate, timeoutMs = 120_000) {
      const seen = received.find((r) => predicate(r.message));
      if (seen) return Promise.resolve(seen);
      return new Promise<Received>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching live message within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (r: Received) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        waiters.add(waiter);
      });
    },
    close,
  };
}

/** Opens `…/events/sse` (all jobs) and resolves once the API has subscribed it. */
export async function openSse(baseUrl: string, token: string): Promise<LiveClient> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}${ADMIN_PREFIX}/events/sse`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
  const log = messageLog(() => controller.abort());
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  void (async () => {
    try {
      for await (const data of sseData(res.body!, opened)) log.push(data, Date.now(), performance.now());
    } catch {
      // closed
    }
  })();
  await open;
  // the first message is the status the hub sends on subscribe
  await log.next((m) => m.type === 'status', 10_000);
  return log;
}

/** Opens the WebSocket `…/events` (all jobs) and resolves once the first (status) message arrived. */
export async function openWebSocket(baseUrl: string, token: string): Promise<LiveClient> {
  const url = `${baseUrl}${ADMIN_PREFIX}/events`;
  const req = httpRequest(url, {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      Authorization: `Bearer ${token}`,
    },
  });
  req.end();
  const socket = await new Promise<Socket>((resolve, reject) => {
    req.once('upgrade', (_res: IncomingMessage, sock: Socket) => resolve(sock));
    req.once('response', (res: IncomingMessage) => reject(new Error(`WebSocket upgrade refused: ${res.statusCode}`)));
    req.once('error', reject);
  });
  socket.setNoDelay(true);
  const log = messageLog(() => socket.destroy());
  // stamp the arrival once per chunk, before parsing, for every frame it completes
  let arrived = { epochMs: 0, perfMs: 0 };
  const readFrames = textFrameReader((text) => log.push(text, arrived.epochMs, arrived.perfMs));
  socket.on('data', (chunk: Buffer) => {
    arrived = { epochMs: Date.now(), perfMs: performance.now() };
    readFrames(chunk);
  });
  socket.on('error', () => undefined);
  await log.next((m) => m.type === 'status', 10_000);
  return log;
}
