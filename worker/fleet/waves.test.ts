// Specification of wave planning: the canary first, counts, cumulative percents, label
// waves, the selection by ids and labels, skipped ids, a dry-run's sample, determinism.
import { describe, expect, it } from 'vitest';
import { planWaves, spread, type FleetTarget } from './waves.js';

const fleet = (n: number, labels: (i: number) => Record<string, string> = () => ({})): FleetTarget[] =>
  // ids zero-padded so their order is their number; given in reverse to show the plan sorts
  Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(3, '0')}`, shard: `s${i % 3}`, labels: labels(i) })).reverse();

const sizes = (plan: ReturnType<typeof planWaves>) => plan.waves.map((w) => w.targets.length);
const ids = (plan: ReturnType<typeof planWaves>, wave: number) => plan.waves[wave]!.targets.map((t) => t.id);

describe('wave planning', () => {
  it('cuts the default rollout into one canary, up to 10 % in all, then the rest', () => {
    const plan = planWaves(fleet(300));
    expect(sizes(plan)).toEqual([1, 29, 270]);
    expect(plan.waves.map((w) => w.name)).toEqual(['canary', 'wave 2', 'wave 3']);
    expect(plan.waves.map((w) => w.index)).toEqual([0, 1, 2]);
    expect(ids(plan, 0)).toEqual(['t000']);
    expect(ids(plan, 1)[0]).toBe('t001');
    expect(plan.waves.flatMap((w) => w.targets).map((t) => t.id)).toEqual(fleet(300).map((t) => t.id).reverse());
  });

  it('keeps each target with its shard', () => {
    const plan = planWaves(fleet(4));
    expect(plan.waves[0]!.targets).toEqual([{ id: 't000', shard: 's0' }]);
  });

  it('leaves out a percent wave that adds nothing on a small fleet', () => {
    expect(sizes(planWaves(fleet(5)))).toEqual([1, 4]);
    expect(sizes(planWaves(fleet(1)))).toEqual([1]);
    expect(planWaves([]).waves).toEqual([]);
  });

  it('reads percents as cumulative shares of the selection', () => {
    const plan = planWaves(fleet(100), { waves: [{ percent: 5 }, { percent: 25 }, { percent: 25 }, { percent: 100 }] });
    expect(sizes(plan)).toEqual([5, 20, 75]);
    expect(plan.waves.map((w) => w.name)).toEqual(['wave 1', 'wave 2', 'wave 4']);
  });

  it('takes counts in order and leaves targets that no wave takes out of the run', () => {
    const plan = planWaves(fleet(10), { waves: [{ count: 2, name: 'first' }, { count: 3 }] });
    expect(sizes(plan)).toEqual([2, 3]);
    expect(ids(plan, 1)).toEqual(['t002', 't003', 't004']);
  });

  it('lets a wave take only the targets with its labels, the rest following later', () => {
    const targets = fleet(10, (i) => ({ tier: i % 2 === 0 ? 'free' : 'gold' }));
    const plan = planWaves(targets, { waves: [{ count: 1 }, { labels: { tier: 'free' } }, {}] });
    expect(ids(plan, 0)).toEqual(['t000']);
    expect(ids(plan, 1)).toEqual(['t002', 't004', 't006', 't008']);
    expect(ids(plan, 2)).toEqual(['t001', 't003', 't005', 't007', 't009']);
  });

  it('selects by ids and by all given labels, and names requested ids that no worker published', () => {
    const targets = fleet(6, (i) => ({ region: i < 3 ? 'eu' : 'us', tier: i % 2 === 0 ? 'free' : 'gold' }));
    expect(planWaves(targets, { select: { labels: { region: 'eu', tier: 'free' } } }).waves.flatMap((w) => w.targets.map((t) => t.id))).toEqual(['t000', 't002']);
    const byIds = planWaves(targets, { select: { ids: ['t004', 't001', 'nope'] } });
    expect(byIds.waves.flatMap((w) => w.targets.map((t) => t.id))).toEqual(['t001', 't004']);
    expect(byIds.missing).toEqual(['nope']);
  });

  it('takes skipped ids out before cutting, so a skipped target is never the canary', () => {
    const plan = planWaves(fleet(5), { skip: new Set(['t000', 't003']) });
    expect(ids(plan, 0)).toEqual(['t001']);
    expect(plan.waves.flatMap((w) => w.targets.map((t) => t.id))).toEqual(['t001', 't002', 't004']);
    expect(plan.skipped).toEqual([{ id: 't000', shard: 's0' }, { id: 't003', shard: 's0' }]);
  });

  it('restricts a retry to the earlier run’s failed ids', () => {
    const plan = planWaves(fleet(5), { only: new Set(['t004', 't002']) });
    expect(plan.waves.flatMap((w) => w.targets.map((t) => t.id))).toEqual(['t002', 't004']);
  });

  it('samples a dry-run evenly over the selection, then cuts waves over the sample', () => {
    const plan = planWaves(fleet(100), { sample: 10 });
    const all = plan.waves.flatMap((w) => w.targets.map((t) => t.id));
    expect(all).toEqual(['t000', 't010', 't020', 't030', 't040', 't050', 't060', 't070', 't080', 't090']);
    expect(sizes(plan)).toEqual([1, 9]);
    expect(spread([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  it('gives the same plan for the same fleet in any order', () => {
    const a = planWaves(fleet(50));
    const shuffled = fleet(50);
    const b = planWaves([...shuffled.slice(17), ...shuffled.slice(0, 17)]);
    expect(b).toEqual(a);
  });
});
