import { describe, expect, it } from 'vitest';
import { workerReportAge } from './liveness.js';

describe('workerReportAge', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');

  it('uses the heartbeat while there is one', () => {
    const worker = { online: true, lastHeartbeatAt: '2026-01-01T11:59:58Z', snapshotAgeMs: 60_000, busyWith: null };
    expect(workerReportAge(worker, now, now)).toEqual({ ms: 2_000, what: 'heartbeat' });
  });

  it('falls back to the snapshot age, aged by the time since it was fetched', () => {
    const worker = { online: false, lastHeartbeatAt: null, snapshotAgeMs: 30_000, busyWith: null };
    expect(workerReportAge(worker, now - 5_000, now)).toEqual({ ms: 35_000, what: 'status report' });
  });

  it('says nothing when the worker never reported', () => {
    expect(workerReportAge({ online: false, lastHeartbeatAt: null, snapshotAgeMs: null, busyWith: null }, now, now)).toBeNull();
  });
});
