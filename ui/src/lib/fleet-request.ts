// The fleet-run form's text fields as the API's request pieces, with the same grammar as
// the CLI's options: waves `canary:1,10%,100%` (a count, a cumulative percent or
// label=value per wave, each optionally named), a selection `tier=gold,region=eu` (every
// pair must match) and a halt share `5%`. Each parser answers a value or a sentence that
// says what is wrong, for the form to show next to its field.
import type { WaveSpec } from './types.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const LABEL = /^([A-Za-z0-9_.-]{1,64})=(.{0,200})$/;
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

export const DEFAULT_WAVES_TEXT = 'canary:1,10%,100%';

export function parseWavesText(text: string): Parsed<WaveSpec[]> {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) return fail('Give at least one wave, e.g. canary:1,10%,100%.');
  if (items.length > 20) return fail('At most 20 waves.');
  const waves: WaveSpec[] = [];
  for (const item of items) {
    const named = /^([^:=%]{1,40}):(.+)$/.exec(item);
    const name = named?.[1]?.trim();
    const spec = (named?.[2] ?? item).trim();
    const base = name ? { name } : {};
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(spec);
    const label = LABEL.exec(spec);
    if (/^\d+$/.test(spec) && Number(spec) > 0) waves.push({ ...base, count: Number(spec) });
    else if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) waves.push({ ...base, percent: Number(percent[1]) });
    else if (label) waves.push({ ...base, labels: { [label[1]!]: label[2]! } });
    else return fail(`"${item}" is not a wave: a count (1), a cumulative percent (10%) or label=value, optionally named (canary:1).`);
  }
  return ok(waves);
}

/** `tier=gold,region=eu` → { tier: 'gold', region: 'eu' }; empty → null (every target) */
export function parseLabelsText(text: string): Parsed<Record<string, string> | null> {
  const pairs = text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean);
  if (pairs.length === 0) return ok(null);
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const match = LABEL.exec(pair);
    if (!match) return fail(`"${pair}" is not label=value (letters, digits, _ . - before =).`);
    labels[match[1]!] = match[2]!;
  }
  return ok(labels);
}

/** `5%` or `5` → 5; empty → 0 (any failure halts) */
export function parseHaltText(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (!trimmed) return ok(0);
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(trimmed);
  if (!match || Number(match[1]) > 100) return fail('A share of a wave’s targets from 0% to 100%.');
  return ok(Number(match[1]));
}

/** a wave as people read it: "canary: 1 target", "up to 10 %", "tier=gold", "the rest" */
export function describeWave(wave: WaveSpec): string {
  const what =
    wave.count !== undefined
      ? `${wave.count} target${wave.count === 1 ? '' : 's'}`
      : wave.percent !== undefined
        ? wave.percent >= 100
          ? 'the rest'
          : `up to ${wave.percent} %`
        : wave.labels
          ? Object.entries(wave.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')
          : 'the rest';
  return wave.name ? `${wave.name}: ${what}` : what;
}
