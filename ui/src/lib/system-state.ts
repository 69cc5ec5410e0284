// What the page knows about the system, and how each source updates it: a status read
// (GET …/status), the live channel's `status`, `degraded` and `recovered` messages, and a
// read that failed because the API lost Redis. `degradation` names what makes the shown
// values unreliable (Redis unreachable, no worker online): the page greys them and
// disables the actions that cannot work, saying why. Plain functions, for the tests.
import type { LiveMessage, StatusResponse } from './types.js';

export interface RedisDown {
  message: string;
  /** ISO time the API lost Redis (or the page found out) */
  since: string;
}

export interface SystemState {
  data: StatusResponse | null;
  /** Date.now() when `data.worker` was last received, to age snapshotAgeMs */
  receivedAt: number;
  /** set while the API cannot reach Redis: `data` is then what was known before */
  redisDown: RedisDown | null;
}

export type StateMessage = Extract<LiveMessage, { type: 'status' | 'degraded' | 'recovered' }>;

export interface Degradation {
  kind: 'redis-unavailable' | 'no-worker';
  /** short, for the header and the status panel */
  label: string;
  /** why actions are disabled, as a button's reason */
  reason: string;
}

export const INITIAL_STATE: SystemState = { data: null, receivedAt: 0, redisDown: null };

export function isStateMessage(message: LiveMessage): message is StateMessage {
  return message.type === 'status' || message.type === 'degraded' || message.type === 'recovered';
}

/** a status read that answered: Redis works */
export function applyFetched(_state: SystemState, data: StatusResponse, now: number): SystemState {
  return { data, receivedAt: now, redisDown: null };
}

/** a status read that failed: only the API saying it lost Redis changes what is known */
export function applyFetchFailed(state: SystemState, error: { code: string; message: string }, now: number): SystemState {
  if (error.code !== 'redis-unavailable' || state.redisDown) return state;
  return { ...state, redisDown: { message: error.message, since: new Date(now).toISOString() } };
}

export function applyMessage(state: SystemState, message: StateMessage, now: number): SystemState {
  switch (message.type) {
    case 'degraded':
      return { ...state, redisDown: { message: message.message, since: message.since } };
    case 'recovered':
      return { ...state, redisDown: null };
    case 'status': {
      const { worker, queue, activeJob, snapshot } = message;
      // the whole status (unfiltered channel), or the worker's liveness only
      if (queue !== undefined && activeJob !== undefined && snapshot !== undefined) {
        return { data: { snapshot, worker, queue, activeJob }, receivedAt: now, redisDown: null };
      }
      return state.data ? { data: { ...state.data, worker }, receivedAt: now, redisDown: null } : { ...state, redisDown: null };
    }
  }
}

/** what makes the shown status unreliable right now, the most serious first; null when nothing */
export function degradation(state: SystemState): Degradation | null {
  if (state.redisDown) {
    return { kind: 'redis-unavailable', label: 'Redis unreachable', reason: 'Redis is unreachable: nothing can be queued until it is back' };
  }
  if (state.data && !state.data.worker.online) {
    return { kind: 'no-worker', label: 'waiting for a worker', reason: 'waiting for a worker: no worker is online to apply migrations' };
  }
  return null;
}
