// Specification of how a followed fleet run is shown: on a terminal one bar redrawn in
// place (targets done of total, failed, the current wave, the rate and the time left) with
// a permanent line per failed target; elsewhere plain lines. And the --waves/--halt grammar.
import { describe, expect, it } from 'vitest';
import { FleetRun, TargetOutcome } from '../../contract/index.js';
import { parseHalt, parseWaves } from './fleet-options.js';
import { createFleetProgressView } from './fleet-view.js';

const at = new Date().toISOString();
const wave = (index: number, name: string, status: 'pending' | 'running' | 'done') => ({ index, name, targets: 2, status, succeeded: 0, failed: 0, skipped: 0 });
const run = (done: number, failed: number, waves = [wave(0, 'canary', 'done'), wave(1, 'wave-2', 'running'), wave(2, 'wave-3', 'pending')]): FleetRun =>
  FleetRun.parse({ id: 'r', mode: 'run', status: 'running', requestedBy: 'ci', createdAt: at, halt: { maxFailedPercent: 0 }, waves, counts: { targets: 10, succeeded: done - failed, failed, skipped: 0, pending: 10 - done } });

describe('fleet progress view', () => {
  it('on a terminal redraws one bar with done/total, failed, current wave, rate and ETA, and keeps a line per failed target', () => {
    let tty = '';
    let clock = 0;
    const view = createFleetProgressView({ write: (t) => void (tty += t) }, { tty: true, columns: 200, now: () => clock });
    const lastDraw = () => tty.slice(tty.lastIndexOf('\x1b[2K') + 4);
    view.event({ type: 'fleet:run', run: run(2, 0) });
    expect(lastDraw()).toBe('[#####-------------------]  20% 2/10 · 0 failed · wave 2/3 wave-2');
    clock = 2_000;
    const failed = TargetOutcome.parse({ id: 'eu/core', wave: 1, result: 'failed', fromVersion: 2, toVersion: 2, applied: 0, durationMs: 10, errorCode: 'migration-failed', error: 'Catalog Error: x\nmore', finishedAt: at });
    view.event({ type: 'fleet:target', runId: 'r', outcome: failed });
    expect(tty).toContain('  ✗ eu/core (wave 2) migration-failed: Catalog Error: x\n');
    view.event({ type: 'fleet:run', run: run(6, 1) });
    // 4 targets in 2 s: 2.0/s, 4 left: 2 s
    expect(lastDraw()).toBe('[##############----------]  60% 6/10 · 1 failed · wave 2/3 wave-2 · 2.0/s · ETA 2.0 s');
    view.done();
    expect(tty.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('in plain output writes a line per target and one when the status or the wave changes', () => {
    let plain = '';
    const view = createFleetProgressView({ write: (t) => void (plain += t) }, { tty: false, now: () => 0 });
    view.event({ type: 'fleet:run', run: run(2, 0) });
    view.event({ type: 'fleet:run', run: run(3, 0) });
    view.event({ type: 'fleet:target', runId: 'r', outcome: TargetOutcome.parse({ id: 'a', wave: 1, result: 'succeeded', fromVersion: 2, toVersion: 3, applied: 1, durationMs: 1500, finishedAt: at }) });
    expect(plain).toBe('fleet run running, wave 2/3 wave-2: 2/10 targets, 0 failed\n  ✓ a (wave 2) succeeded, 2 → 3, 1.50 s\n');
  });
});

describe('--waves and --halt', () => {
  it('reads counts, cumulative percents and label waves, each optionally named', () => {
    expect(parseWaves('canary:1,10%,100%')).toEqual([{ name: 'canary', count: 1 }, { percent: 10 }, { percent: 100 }]);
    expect(parseWaves('gold:tier=gold,rest:100%')).toEqual([{ name: 'gold', labels: { tier: 'gold' } }, { name: 'rest', percent: 100 }]);
    for (const bad of ['0', '150%', 'canary:', 'lots']) expect(() => parseWaves(bad), bad).toThrow(/--waves/);
    expect(parseHalt('5%')).toEqual({ maxFailedPercent: 5 });
    expect(parseHalt('2.5')).toEqual({ maxFailedPercent: 2.5 });
    expect(() => parseHalt('101%')).toThrow(/--halt/);
  });
});
