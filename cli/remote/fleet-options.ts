// The fleet command's own option values, turned into the contract's request shapes:
// `--waves canary:1,10%,100%` (a count, a cumulative percent or label=value per wave, each
// optionally named), `--select label=value` (repeatable; all must match), `--halt 5%`.
import type { Labels, WaveSpec } from '../../contract/index.js';
import { UsageError } from '../exit-codes.js';

const LABEL = /^([A-Za-z0-9_.-]{1,64})=(.{0,200})$/;

function label(text: string, what: string): [string, string] {
  const match = LABEL.exec(text);
  if (!match) throw new UsageError(`${what} takes label=value (letters, digits, _ . - before =), got "${text}"`);
  return [match[1]!, match[2]!];
}

/** `canary:1,10%,100%`: one wave per comma; `name:` optional; N targets, N % cumulative, or label=value. */
export function parseWaves(value: string | undefined): WaveSpec[] | undefined {
  if (value === undefined) return undefined;
  const waves = value.split(',').map((item): WaveSpec => {
    const named = /^([^:=%]{1,40}):(.+)$/.exec(item.trim());
    const name = named?.[1];
    const spec = (named?.[2] ?? item).trim();
    const base = name === undefined ? {} : { name };
    if (/^\d+$/.test(spec) && Number(spec) > 0) return { ...base, count: Number(spec) };
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(spec);
    if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) return { ...base, percent: Number(percent[1]) };
    if (spec.includes('=')) return { ...base, labels: Object.fromEntries([label(spec, '--waves')]) };
    throw new UsageError(`--waves: each wave is a count (1), a cumulative percent (10%) or label=value, optionally named (canary:1); got "${item}"`);
  });
  if (waves.length > 20) throw new UsageError('--waves: at most 20 waves');
  return waves;
}

/** Repeated `--select label=value`: the targets carrying every pair. */
export function parseSelect(values: string[] | undefined): { labels: Labels } | undefined {
  if (!values?.length) return undefined;
  return { labels: Object.fromEntries(values.map((v) => label(v, '--select'))) };
}

/** `--halt 5%` (or 5): halt a wave when more than this share of its targets failed. */
export function parseHalt(value: string | undefined): { maxFailedPercent: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  if (!match || Number(match[1]) > 100) throw new UsageError(`--halt takes a percent of a wave's targets from 0% to 100%, got "${value}"`);
  return { maxFailedPercent: Number(match[1]) };
}

/** --sample N of a dry-run. */
export function parseSample(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--sample takes a number of targets ≥ 1, got "${value}"`);
  return Number(value);
}

export const fleetUsage = `duckmig fleet <subcommand> --api URL --token TOKEN [--json]
  fleet status
  fleet run|dry-run [--waves canary:1,10%,100%] [--select LABEL=VALUE]... [--halt 5%] [--reason TEXT] [--sample N] [--migrations-id ID] [--allow-drift] [--wait [--timeout SECONDS]]
  fleet pause|resume|cancel [RUN_ID]   (default: the fleet run in flight)
  fleet retry-failed RUN_ID [--waves …] [--halt …] [--reason TEXT] [--allow-drift] [--wait [--timeout SECONDS]]
exit codes with --wait: 0 succeeded, 1 failed, 5 halted, 6 cancelled (2 usage, 3 API unreachable or token refused)`;

export const fleetOptions = {
  api: { type: 'string' },
  token: { type: 'string' },
  waves: { type: 'string' },
  select: { type: 'string', multiple: true },
  halt: { type: 'string' },
  reason: { type: 'string' },
  sample: { type: 'string' },
  'migrations-id': { type: 'string' },
  'allow-drift': { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
