import { describe, expect, it } from 'vitest';
import { backoffDelay, LiveSocket, parseLiveMessage, type ConnectionState, type SocketLike } from './live-socket.js';
import type { LiveMessage } from './types.js';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closed = false;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(frame: unknown) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.onclose?.({ code, reason: '' });
  }
  close() {
    this.closed = true;
  }
}

/** a LiveSocket wired to fakes: manual clock and timers, recorded sockets, states and messages */
function harness(options: { stableAfterMs?: number } = {}) {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const messages: LiveMessage[] = [];
  const opens: boolean[] = [];
  const live = new LiveSocket({
    url: 'ws://test/events',
    create: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    onMessage: (m) => messages.push(m),
    onState: (s) => states.push(s),
    onOpen: ({ reconnect }) => opens.push(reconnect),
    backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
    now: () => now,
    timers: {
      set: (fn, ms) => {
        const id = nextId++;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clear: (id) => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      },
    },
    ...options,
  });
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.splice(timers.indexOf(due), 1);
      due.fn();
    }
  };
  return { live, sockets, states, messages, opens, advance, last: () => sockets[sockets.length - 1]!, pending: () => timers.length };
}

describe('backoffDelay', () => {
  it('grows exponentially up to the maximum', () => {
    const o = { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('randomises part of the delay so clients do not reconnect in lockstep', () => {
    const o = { initialMs: 1000, maxMs: 15_000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(0, o, () => 0)).toBe(500);
    expect(backoffDelay(0, o, () => 0.999)).toBe(1000);
  });
});

describe('LiveSocket', () => {
  it('connects, reports open and delivers parsed messages', () => {
    const h = harness();
    h.live.start();
    expect(h.states.at(-1)).toEqual({ kind: 'connecting', attempt: 0 });
    h.last().open();
    expect(h.states.at(-1)?.kind).toBe('open');
    expect(h.opens).toEqual([false]);
    h.last().send({ type: 'active', jobId: '3' });
    h.last().send('not json');
    h.last().send({ type: 'unknown', jobId: '3' });
    expect(h.messages).toEqual([{ type: 'active', jobId: '3' }]);
  });

  it('reconnects with growing delays while the server stays away', () => {
    const h = harness();
    h.live.start();
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ kind: 'retrying', attempt: 0, delayMs: 100, lastCode: 1006 });
    h.advance(99);
    expect(h.sockets).toHaveLength(1);
    h.advance(1);
    expect(h.sockets).toHaveLength(2);
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ kind: 'retrying', delayMs: 200 });
    h.advance(200);
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ kind: 'retrying', delayMs: 400 });
    h.advance(400);
    h.last().open();
    expect(h.opens).toEqual([false]); // the first connection that ever opened
  });

  it('tells the caller it reconnected, so it can fetch what it missed', () => {
    const h = harness({ stableAfterMs: 1000 });
    h.live.start();
    h.last().open();
    h.advance(5000);
    h.last().drop();
    h.advance(100);
    h.last().open();
    expect(h.opens).toEqual([false, true]);
  });

  it('resets the backoff after a connection that stayed up, not after one that dropped at once', () => {
    const h = harness({ stableAfterMs: 1000 });
    h.live.start();
    h.last().drop();
    h.advance(100);
    h.last().open();
    h.last().drop(); // accepted and dropped immediately: keep backing off
    expect(h.states.at(-1)).toMatchObject({ kind: 'retrying', delayMs: 200 });
    h.advance(200);
    h.last().open();
    h.advance(2000); // stable
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ kind: 'retrying', delayMs: 100 });
  });

  it('retryNow skips the wait; stop closes the socket and cancels the retry', () => {
    const h = harness();
    h.live.start();
    h.last().drop();
    h.live.retryNow();
    expect(h.sockets).toHaveLength(2);
    expect(h.pending()).toBe(0);
    h.last().drop();
    expect(h.pending()).toBe(1);
    h.live.stop();
    expect(h.pending()).toBe(0);
    expect(h.states.at(-1)).toEqual({ kind: 'stopped' });
    h.advance(10_000);
    expect(h.sockets).toHaveLength(2);

    h.live.start();
    const socket = h.last();
    socket.open();
    h.live.stop();
    expect(socket.closed).toBe(true);
    socket.drop(); // a late close event from the stopped socket changes nothing
    expect(h.states.at(-1)).toEqual({ kind: 'stopped' });
  });

  it('ignores events from a socket it already replaced', () => {
    const h = harness();
    h.live.start();
    const first = h.last();
    first.drop();
    h.live.retryNow();
    first.send({ type: 'active', jobId: 'stale' });
    first.open();
    expect(h.messages).toEqual([]);
    expect(h.states.at(-1)?.kind).toBe('connecting');
  });
});

describe('parseLiveMessage', () => {
  it('accepts the contract messages and rejects anything else', () => {
    expect(parseLiveMessage(JSON.stringify({ type: 'status', worker: { online: true } }))).toMatchObject({ type: 'status' });
    expect(parseLiveMessage(JSON.stringify({ type: 'completed', jobId: 7, result: null }))).toEqual({ type: 'completed', jobId: '7', result: null });
    expect(parseLiveMessage(JSON.stringify({ type: 'progress', jobId: '1', progress: { seq: 1 } }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'failed' }))).toBeNull();
    const degraded = { type: 'degraded', reason: 'redis-unavailable', message: 'the API cannot reach Redis', since: '2026-01-01T00:00:00.000Z' };
    expect(parseLiveMessage(JSON.stringify(degraded))).toEqual(degraded);
    expect(parseLiveMessage(JSON.stringify({ type: 'degraded' }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'recovered', reason: 'redis-unavailable' }))).toEqual({ type: 'recovered', reason: 'redis-unavailable' });
    expect(parseLiveMessage('[1,2]')).toBeNull();
    expect(parseLiveMessage(new ArrayBuffer(2))).toBeNull();
  });
});
