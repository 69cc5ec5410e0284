// A WebSocket that reconnects by itself: exponential backoff with jitter between
// attempts, reset once a connection has stayed up for a while (so a server that
// accepts and drops at once does not get hammered), and a hook on every (re)open so
// the caller can fetch what it missed while disconnected. Plain TypeScript with the
// socket, clock, timers and randomness injectable: the reactive wrapper lives in
// live.svelte.ts and the tests drive this one with fakes.
import type { LiveMessage } from './types.js';

export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; since: number }
  | { kind: 'retrying'; attempt: number; delayMs: number; retryAt: number; lastCode: number | null }
  | { kind: 'stopped' };

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** share of the delay that is randomised: 0 = fixed delays, 0.5 = between 50 % and 100 % */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

/** delay before reconnect attempt `attempt` (0-based) */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - options.jitter + options.jitter * random()));
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface LiveSocketOptions<M = LiveMessage> {
  url: string;
  onMessage: (message: M) => void;
  /** a frame's data as a message, null to ignore it (default: the migrations channel's parseLiveMessage) */
  parse?: (data: unknown) => M | null;
  onState?: (state: ConnectionState) => void;
  /** each time a connection opens; `reconnect` is false only for the very first one */
  onOpen?: (info: { reconnect: boolean }) => void;
  create?: (url: string) => SocketLike;
  backoff?: Partial<BackoffOptions>;
  /** a connection that stayed open this long resets the backoff */
  stableAfterMs?: number;
  random?: () => number;
  now?: () => number;
  timers?: Timers;
}

const MESSAGE_TYPES = new Set(['progress', 'completed', 'failed', 'active', 'waiting', 'status', 'degraded', 'recovered']);

/** a frame's JSON as a LiveMessage, or null when it is not one (ignored, never thrown) */
export function parseLiveMessage(data: unknown): LiveMessage | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const { type } = value as { type?: unknown };
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) return null;
  if (type === 'status') return 'worker' in value ? (value as LiveMessage) : null;
  if (type === 'degraded') return typeof (value as { message?: unknown }).message === 'string' ? (value as LiveMessage) : null;
  if (type === 'recovered') return value as LiveMessage;
  const { jobId } = value as { jobId?: unknown };
  if (typeof jobId === 'number') return { ...(value as object), jobId: String(jobId) } as LiveMessage;
  if (typeof jobId !== 'string') return null;
  if (type === 'progress') {
    const { progress } = value as { progress?: { seq?: unknown; event?: unknown } };
    if (!progress || typeof progress.seq !== 'number' || !progress.event || typeof progress.event !== 'object') return null;
  }
  return value as LiveMessage;
}

export class LiveSocket<M = LiveMessage> {
  readonly #options: LiveSocketOptions<M>;
  readonly #parse: (data: unknown) => M | null;
  readonly #backoff: BackoffOptions;
  readonly #create: (url: string) => SocketLike;
  readonly #timers: Timers;
  readonly #now: () => number;
  #socket: SocketLike | null = null;
  #timer: unknown = null;
  #attempt = 0;
  #openedAt: number | null = null;
  #everOpened = false;
  #stopped = true;
  #state: ConnectionState = { kind: 'stopped' };

  constructor(options: LiveSocketOptions<M>) {
    this.#options = options;
    this.#parse = options.parse ?? (parseLiveMessage as (data: unknown) => M | null);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#create = options.create ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.#timers = options.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.#now = options.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      socket.close(1000, 'client closed');
    }
    this.#setState({ kind: 'stopped' });
  }

  /** skip the remaining wait (a "reconnect now" button, the browser coming back online) */
  retryNow(): void {
    if (this.#stopped || this.#state.kind !== 'retrying') return;
    this.#clearTimer();
    this.#connect();
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#options.onState?.(state);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  #connect(): void {
    this.#setState({ kind: 'connecting', attempt: this.#attempt });
    let socket: SocketLike;
    try {
      socket = this.#create(this.#options.url);
    } catch {
      this.#scheduleRetry(null);
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#openedAt = this.#now();
      const reconnect = this.#everOpened;
      this.#everOpened = true;
      this.#setState({ kind: 'open', since: this.#openedAt });
      this.#options.onOpen?.({ reconnect });
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      const message = this.#parse(event.data);
      if (message) this.#options.onMessage(message);
    };
    socket.onerror = () => {
      // a close event always follows; reconnecting is handled there
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      const stable = this.#openedAt !== null && this.#now() - this.#openedAt >= (this.#options.stableAfterMs ?? 5_000);
      if (stable) this.#attempt = 0;
      this.#openedAt = null;
      if (!this.#stopped) this.#scheduleRetry(event.code);
    };
  }

  #scheduleRetry(lastCode: number | null): void {
    const delayMs = backoffDelay(this.#attempt, this.#backoff, this.#options.random);
    const attempt = this.#attempt;
    this.#attempt += 1;
    this.#setState({ kind: 'retrying', attempt, delayMs, retryAt: this.#now() + delayMs, lastCode });
    this.#timer = this.#timers.set(() => {
      this.#timer = null;
      if (!this.#stopped) this.#connect();
    }, delayMs);
  }
}
