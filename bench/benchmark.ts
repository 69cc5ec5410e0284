// What a benchmark module is and the helpers they share: the context it runs in, the
// report it returns (tables + goals + notes, printed by index.ts), timing with a peak-RSS
// sampler, and the median. A benchmark never fails on numbers: it reports whether each
// goal is met and the reader decides.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Table } from './table.js';

export interface BenchOptions {
  /** repetitions per variant (fresh database each); the median is reported */
  reps: number;
  /** overrides a benchmark's default size (migrations, files, requests…) */
  count?: number;
  /** only these variant ids (benchmarks with variants; each decides what it always runs) */
  only?: string[];
  /** keep temp dirs for inspection */
  keep: boolean;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** a fresh directory under the OS temp dir, removed after the benchmark unless --keep */
  tempDir(prefix: string): Promise<string>;
  /** progress on stderr, so stdout carries only the tables */
  log(message: string): void;
}

export interface Goal {
  /** e.g. "(b) ≤ 1.3× (a)" */
  label: string;
  met: boolean;
  /** the measured numbers behind the verdict */
  detail: string;
}

export interface BenchReport {
  tables: Table[];
  goals: Goal[];
  notes: string[];
}

export interface Benchmark {
  /** the selector on the command line: `npm run bench -- <name>` */
  readonly name: string;
  readonly summary: string;
  run(ctx: BenchContext): Promise<BenchReport>;
}

export function createContext(options: BenchOptions, log: (message: string) => void): BenchContext & { cleanup(): Promise<void> } {
  const dirs: string[] = [];
  return {
    options,
    log,
    async tempDir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `duckmig-bench-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    async cleanup() {
      if (options.keep) {
        for (const dir of dirs) log(`kept ${dir}`);
        return;
      }
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export interface Measured<T> {
  value: T;
  ms: number;
  /** CPU time of the whole process (all threads, DuckDB's included): less sensitive to a busy machine than wall time */
  cpuMs: number;
  /** peak RSS during fn minus RSS when it started, in MiB (sampled every 10 ms) */
  peakRssDeltaMiB: number;
}

/**
 * Times fn and samples RSS while it runs. RSS freed by an earlier variant is not always
 * returned to the OS, so the delta is a lower bound for every variant but the first.
 */
export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  sampler.unref();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  try {
    const value = await fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, ms, cpuMs: (used.user + used.system) / 1000, peakRssDeltaMiB: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

let gc: (() => void) | undefined;

/**
 * Between variants: collect garbage (so one variant's finalizers, e.g. DuckDB prepared
 * statements freed at GC, are not paid inside the next one's timing) and let the disk settle.
 */
export async function settle(): Promise<void> {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  await delay(200);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile by nearest rank (p in 0..100), for latency benchmarks. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}
