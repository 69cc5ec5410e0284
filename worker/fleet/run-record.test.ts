// Specification of the fleet-run record's arithmetic: the halt rule at its boundary, the
// counts after outcomes (counting again changes nothing), and when a shard is offline.
import { describe, expect, it } from 'vitest';
import type { FleetRun, TargetOutcome, WaveState } from '../../contract/index.js';
import { haltReason, plannedRun, shardOffline, withWave } from './run-record.js';
import { shardState } from '../../test/support/fleet.js';

const wave = (index: number, succeeded: number, failed: number): WaveState => ({ index, name: `w${index}`, targets: succeeded + failed, status: 'done', succeeded, failed, skipped: 0 });

describe('the halt rule', () => {
  it('halts on any canary failure, whatever the threshold', () => {
    expect(haltReason(wave(0, 9, 1), { maxFailedPercent: 50 })).toMatch(/canary/);
    expect(haltReason(wave(0, 1, 0), { maxFailedPercent: 0 })).toBeNull();
  });

  it('halts a later wave only when more than the allowed share of the targets it ran failed', () => {
    expect(haltReason(wave(1, 9, 1), { maxFailedPercent: 10 })).toBeNull();
    expect(haltReason(wave(1, 8, 2), { maxFailedPercent: 10 })).toMatch(/2 of 10 target\(s\) failed \(20 %\)/);
    expect(haltReason(wave(2, 99, 1), { maxFailedPercent: 0 })).not.toBeNull();
  });
});

describe('the run record', () => {
  const base: FleetRun = { id: 'r', mode: 'run', status: 'queued', requestedBy: 'me', createdAt: 'x', halt: { maxFailedPercent: 0 }, waves: [], counts: { targets: 0, succeeded: 0, failed: 0, skipped: 0, pending: 0 } };
  const plan = {
    waves: [
      { index: 0, name: 'canary', targets: [{ id: 'a', shard: 's' }] },
      { index: 1, name: 'rest', targets: [{ id: 'b', shard: 's' }, { id: 'c', shard: 's' }] },
    ],
    skipped: [{ id: 'd', shard: 's' }],
    missing: ['e'],
  };
  const o = (id: string, w: number, result: TargetOutcome['result']): TargetOutcome => ({ id, wave: w, result, fromVersion: 0, toVersion: 1, applied: 1, durationMs: 1, finishedAt: 'x' });

  it('counts targets skipped before the start and leaves the planned ones pending', () => {
    const run = plannedRun(base, plan, 'now');
    expect(run.status).toBe('running');
    expect(run.counts).toEqual({ targets: 5, succeeded: 0, failed: 0, skipped: 2, pending: 3 });
    expect(run.waves.map((w) => [w.name, w.targets, w.status])).toEqual([
      ['canary', 1, 'pending'],
      ['rest', 2, 'pending'],
    ]);
  });

  it('sets a wave’s counts from its outcomes, so counting them twice changes nothing', () => {
    let run = plannedRun(base, plan, 'now');
    const outcomes = [o('b', 1, 'succeeded'), o('c', 1, 'failed')];
    run = withWave(run, 1, outcomes, { status: 'done' });
    run = withWave(run, 1, outcomes, { status: 'done' });
    expect(run.waves[1]).toMatchObject({ status: 'done', succeeded: 1, failed: 1, skipped: 0 });
    expect(run.counts).toEqual({ targets: 5, succeeded: 1, failed: 1, skipped: 2, pending: 1 });
  });
});

describe('an offline shard', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  it('is one without a lease whose owner was last seen more than the offline time ago', () => {
    const seen = (ago: number) => shardState('s', 'm', new Date(now - ago).toISOString());
    expect(shardOffline(false, seen(61_000), now, now, 60_000)).toBe(true);
    expect(shardOffline(false, seen(59_000), now, now, 60_000)).toBe(false);
    expect(shardOffline(true, seen(600_000), now, now, 60_000)).toBe(false);
  });

  it('counts a shard never seen from when the coordinator began waiting for it', () => {
    expect(shardOffline(false, undefined, now - 1000, now, 60_000)).toBe(false);
    expect(shardOffline(false, undefined, now - 61_000, now, 60_000)).toBe(true);
  });
});
