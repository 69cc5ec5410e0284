import { describe, expect, it } from 'vitest';
import { describeWave, parseHaltText, parseLabelsText, parseWavesText } from './fleet-request.js';

describe('the fleet-run form', () => {
  it('reads waves as the CLI does: named counts, cumulative percents, labels', () => {
    expect(parseWavesText('canary:1,10%,100%')).toEqual({ ok: true, value: [{ name: 'canary', count: 1 }, { percent: 10 }, { percent: 100 }] });
    expect(parseWavesText(' gold : tier=gold , 50% ')).toEqual({ ok: true, value: [{ name: 'gold', labels: { tier: 'gold' } }, { percent: 50 }] });
    expect(parseWavesText('canary:1,0%')).toMatchObject({ ok: false, error: expect.stringContaining('"0%" is not a wave') });
    expect(parseWavesText('150%').ok).toBe(false);
    expect(parseWavesText(' , ')).toMatchObject({ ok: false, error: expect.stringContaining('at least one wave') });
    expect(parseWavesText(Array.from({ length: 21 }, () => '1').join(',')).ok).toBe(false);
  });

  it('reads a label selection (every pair must match) and a halt share', () => {
    expect(parseLabelsText('')).toEqual({ ok: true, value: null });
    expect(parseLabelsText('tier=gold, region=eu')).toEqual({ ok: true, value: { tier: 'gold', region: 'eu' } });
    expect(parseLabelsText('tier')).toMatchObject({ ok: false });
    expect(parseHaltText('')).toEqual({ ok: true, value: 0 });
    expect(parseHaltText('5%')).toEqual({ ok: true, value: 5 });
    expect(parseHaltText('2.5')).toEqual({ ok: true, value: 2.5 });
    expect(parseHaltText('101%').ok).toBe(false);
    expect(parseHaltText('-1').ok).toBe(false);
  });

  it('says what each wave takes, in words', () => {
    expect(describeWave({ name: 'canary', count: 1 })).toBe('canary: 1 target');
    expect(describeWave({ percent: 10 })).toBe('up to 10 %');
    expect(describeWave({ percent: 100 })).toBe('the rest');
    expect(describeWave({ labels: { tier: 'gold' } })).toBe('tier=gold');
  });
});
