import { describe, expect, it } from 'vitest';
import { applyFetched, applyFetchFailed, applyMessage, degradation, INITIAL_STATE, type SystemState } from './system-state.js';
import type { StatusResponse, WorkerLiveness } from './types.js';

const online: WorkerLiveness = { online: true, lastHeartbeatAt: '2026-01-01T00:00:00.000Z', snapshotAgeMs: 1_000, busyWith: null };
const offline: WorkerLiveness = { online: false, lastHeartbeatAt: null, snapshotAgeMs: 60_000, busyWith: null };
const queue = { waiting: 0, active: 0, completed: 3, failed: 0, failedDryRuns: 0, delayed: 0, paused: false };

function status(worker: WorkerLiveness, waiting = 0): StatusResponse {
  return { snapshot: null, worker, queue: { ...queue, waiting }, activeJob: null };
}

const fetched = (data: StatusResponse): SystemState => applyFetched(INITIAL_STATE, data, 1_000);

describe('the status pushed over the live channel', () => {
  it('replaces everything shown when it carries the whole status', () => {
    const next = applyMessage(fetched(status(online)), { type: 'status', ...status(online, 2) }, 5_000);
    expect(next.data?.queue.waiting).toBe(2);
    expect(next.receivedAt).toBe(5_000);
  });

  it('updates only the worker when it carries liveness alone', () => {
    const next = applyMessage(fetched(status(online, 4)), { type: 'status', worker: offline }, 5_000);
    expect(next.data).toEqual(status(offline, 4));
  });

  it('shows nothing from a liveness-only message before the first status arrived', () => {
    expect(applyMessage(INITIAL_STATE, { type: 'status', worker: online }, 5_000).data).toBeNull();
  });
});

describe('degraded state', () => {
  const degraded = { type: 'degraded', reason: 'redis-unavailable', message: 'the API cannot reach Redis', since: '2026-01-01T00:00:10.000Z' } as const;

  it('says Redis is unreachable and keeps what was known, so it can be shown greyed', () => {
    const before = fetched(status(online));
    const next = applyMessage(before, degraded, 5_000);
    expect(degradation(next)).toMatchObject({ kind: 'redis-unavailable', label: 'Redis unreachable' });
    expect(degradation(next)?.reason).toMatch(/Redis/);
    expect(next.data).toBe(before.data);
    expect(next.redisDown).toEqual({ message: 'the API cannot reach Redis', since: degraded.since });
  });

  it('ends with recovered, and with any status the API could read', () => {
    const down = applyMessage(fetched(status(online)), degraded, 5_000);
    expect(degradation(applyMessage(down, { type: 'recovered', reason: 'redis-unavailable' }, 6_000))).toBeNull();
    expect(degradation(applyMessage(down, { type: 'status', ...status(online) }, 6_000))).toBeNull();
    expect(degradation(applyFetched(down, status(online), 6_000))).toBeNull();
  });

  it('starts when a status read answers that the API lost Redis, not on other failures', () => {
    const before = fetched(status(online));
    expect(degradation(applyFetchFailed(before, { code: 'redis-unavailable', message: 'Redis cannot be reached' }, 5_000))?.kind).toBe('redis-unavailable');
    expect(applyFetchFailed(before, { code: 'network', message: 'offline' }, 5_000)).toBe(before);
    expect(applyFetchFailed(before, { code: 'internal', message: 'internal error' }, 5_000)).toBe(before);
  });

  it('is "waiting for a worker" while no worker is online, and Redis being away comes first', () => {
    const noWorker = fetched(status(offline));
    expect(degradation(noWorker)).toMatchObject({ kind: 'no-worker', label: 'waiting for a worker' });
    expect(degradation(applyMessage(noWorker, degraded, 5_000))?.kind).toBe('redis-unavailable');
    expect(degradation(fetched(status(online)))).toBeNull();
    expect(degradation(INITIAL_STATE)).toBeNull();
  });
});
