import { describe, expect, it } from 'vitest';
import { countCells, gridCells, runEta, runRate } from './fleet-grid.js';
import type { TargetOutcome } from './types.js';

const outcome = (id: string, result: TargetOutcome['result'], finishedAt: string, extra: Partial<TargetOutcome> = {}): TargetOutcome => ({
  id,
  wave: 0,
  result,
  fromVersion: 0,
  toVersion: result === 'failed' ? 0 : 2,
  applied: result === 'succeeded' ? 2 : 0,
  durationMs: 10,
  finishedAt,
  ...extra,
});

describe('the fleet-run grid', () => {
  it('keeps one cell per target in id order and colours it by outcome, start, or neither', () => {
    const outcomes = new Map([
      ['t2', outcome('t2', 'succeeded', '2026-01-01T00:00:01Z')],
      ['t4', outcome('t4', 'failed', '2026-01-01T00:00:02Z', { errorCode: 'migration-failed', error: 'boom' })],
      ['t5', outcome('t5', 'skipped', '2026-01-01T00:00:02Z')],
      ['t6', outcome('t6', 'nothing-to-do', '2026-01-01T00:00:02Z')],
    ]);
    const cells = gridCells(['t1', 't2', 't3', 't4', 't5', 't6'], outcomes, new Set(['t3']), false);
    expect(cells.map((c) => [c.id, c.state])).toEqual([
      ['t1', 'pending'],
      ['t2', 'succeeded'],
      ['t3', 'running'],
      ['t4', 'failed'],
      ['t5', 'skipped'],
      ['t6', 'succeeded'],
    ]);
    expect(cells[1]!.label).toBe('t2: succeeded, 2 applied (version 0 → 2), wave 1');
    expect(cells[3]!.label).toBe('t4: failed, migration-failed: boom, wave 1');
    expect(cells[5]!.label).toBe('t6: succeeded, nothing to do (version 2), wave 1');
    expect(countCells(cells)).toEqual({ pending: 1, running: 1, succeeded: 2, failed: 1, skipped: 1, 'not-in-run': 0 });
  });

  it('shows a target the list lacks, and once the run ended marks targets without an outcome as not in it', () => {
    const cells = gridCells(['a'], new Map([['z', outcome('z', 'succeeded', '2026-01-01T00:00:01Z')]]), new Set(), true);
    expect(cells.map((c) => [c.id, c.state])).toEqual([
      ['a', 'not-in-run'],
      ['z', 'succeeded'],
    ]);
  });

  it('measures the rate from the outcomes’ own times since the start, skipped targets left out, and the time left at it', () => {
    const run = { startedAt: '2026-01-01T00:00:00Z' };
    const outcomes = [outcome('a', 'succeeded', '2026-01-01T00:00:02Z'), outcome('b', 'failed', '2026-01-01T00:00:04Z'), outcome('c', 'skipped', '2026-01-01T00:00:09Z')];
    expect(runRate(run, outcomes)).toBe(0.5);
    expect(runRate({}, outcomes)).toBeNull();
    expect(runRate(run, [])).toBeNull();
    const counts = { targets: 10, succeeded: 1, failed: 1, skipped: 1, pending: 7 };
    expect(runEta({ counts }, 0.5)).toBe(14_000);
    expect(runEta({ counts: { ...counts, pending: 0 } }, 0.5)).toBeNull();
    expect(runEta({ counts }, null)).toBeNull();
  });
});
