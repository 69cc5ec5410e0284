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
  let buffer: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const epochMs = Date.now();
    const perfMs = performance.now();
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 1) log.push(payload.toString('utf8'), epochMs, perfMs);
    }
  });
  socket.on('error', () => undefined);
  await log.next((m) => m.type === 'status', 10_000);
  return log;
}
