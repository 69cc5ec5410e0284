// `npm run bench [-- <name>... | all] [--reps N] [--count N] [--only IDS] [--keep]`: runs the
// selected benchmarks and prints their tables; how to add one: docs/benchmarks.md.
import { parseArgs } from 'node:util';
import { createContext, type BenchReport, type Benchmark } from './benchmark.js';
import { renderTable } from './table.js';

interface Entry {
  name: string;
  summary: string;
  /** undefined until the benchmark exists */
  load?: () => Promise<Benchmark>;
}

const REGISTRY: Entry[] = [
  {
    name: 'runner',
    summary: '1,000 migrations: floor vs duckmig (default budget/each/end) vs Kysely, umzug, postgrator; crash trials',
    load: async () => (await import('./runner-bench.js')).runnerBench,
  },
  {
    name: 'validate',
    summary: 'validate over 10,000 files on an in-memory DuckDB (< 2 s)',
    load: async () => (await import('./validate-bench.js')).validateBench,
  },
  {
    name: 'service',
    summary: 'status p50/p99 under autocannon load (also during a long run: --reps pairs, DuckDB at nice 10 and 0), no-op run POST→completed, progress event → WebSocket p95',
    load: async () => (await import('./service-bench.js')).serviceBench,
  },
  {
    name: 'status-cpu',
    summary: 'CPU per status poll (summary, 304), one request at a time, vs the Hono floor',
    load: async () => (await import('./status-cpu-bench.js')).statusCpuBench,
  },
  {
    name: 'restore',
    summary: 'restore point of a ~1 GB database vs a plain file copy (≤ 1.5×)',
    load: async () => (await import('./restore-bench.js')).restoreBench,
  },
  {
    name: 'rehearsal',
    summary: 'rehearsal on a copy vs the run it predicts: 4 shipped migrations, ~100 MB database (--count MiB)',
    load: async () => (await import('./rehearsal-bench.js')).rehearsalBench,
  },
  {
    name: 'fleet-target',
    summary: 'one fleet target in one process, no queue: floor, the floor storing what duckmig records, and open + fenced run + close (--count files a side)',
    load: async () => (await import('./fleet-target-bench.js')).fleetTargetBench,
  },
  {
    name: 'fleet',
    summary: '2,000 targets × 4 migrations: floor vs duckmig fleet runs at 1×1, 1×2, 2×1 (≤ 15 % over the floor); Redis per target',
    load: async () => (await import('./fleet-bench.js')).fleetBench,
  },
];

function usage(): string {
  const lines = REGISTRY.map((e) => `  ${e.name.padEnd(12)} ${e.summary}${e.load ? '' : '  (not written yet)'}`);
  return [
    'usage: npm run bench -- [name ...|all] [--reps N] [--count N] [--only IDS] [--keep]',
    '',
    ...lines,
    '',
    '  --reps N    runs per variant, median reported (default 3, at least 2)',
    '  --count N   override the size (migrations for runner, files for validate, no-op runs for service, MiB for restore and rehearsal, targets for fleet, files a side for fleet-target)',
    "  --only IDS  only these variants, comma-separated (runner: a,a',b,w,c,e,d,d*,u,p and crash for the crash trials; the floor (a) always runs; fleet: 1x1,1x2,2x1, each with its floor)",
    '  --keep      keep the temp directories',
  ].join('\n');
}

function parse(): { selected: Entry[]; reps: number; count?: number; only?: string[]; keep: boolean } | string {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { reps: { type: 'string' }, count: { type: 'string' }, only: { type: 'string' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    return (err as Error).message;
  }
  const { values, positionals } = parsed;
  if (values.help) return '';
  const reps = values.reps === undefined ? 3 : Number(values.reps);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (!Number.isInteger(reps) || reps < 1) return `--reps must be a positive integer, got ${values.reps}`;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) return `--count must be a positive integer, got ${values.count}`;
  const names = positionals.length === 0 || positionals.includes('all') ? REGISTRY.filter((e) => e.load).map((e) => e.name) : positionals;
  const selected: Entry[] = [];
  for (const name of names) {
    const entry = REGISTRY.find((e) => e.name === name);
    if (!entry) return `unknown benchmark "${name}"`;
    selected.push(entry);
  }
  const only = values.only?.split(',').map((id) => id.trim()).filter(Boolean);
  return { selected, reps, count, only, keep: values.keep ?? false };
}

function print(entry: Entry, report: BenchReport): void {
  const out: string[] = [`## ${entry.name}`, ''];
  for (const table of report.tables) out.push(renderTable(table), '');
  out.push('Goals:');
  for (const g of report.goals) out.push(`- [${g.met ? 'MET' : 'MISSED'}] ${g.label}: ${g.detail}`);
  for (const n of report.notes) out.push(`- note: ${n}`);
  console.log(`${out.join('\n')}\n`);
}

async function main(): Promise<number> {
  const args = parse();
  if (typeof args === 'string') {
    if (args) console.error(args);
    console.error(usage());
    return args ? 2 : 0;
  }
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  console.log(`# duckmig benchmarks — Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}\n`);
  let failures = 0;
  for (const entry of args.selected) {
    if (!entry.load) {
      console.log(`## ${entry.name}\n\nnot written yet: add bench/${entry.name}-bench.ts and register it in bench/index.ts\n`);
      continue;
    }
    const ctx = createContext({ reps: args.reps, count: args.count, only: args.only, keep: args.keep }, log);
    try {
      const bench = await entry.load();
      log(`${bench.name}: ${bench.summary}`);
      print(entry, await bench.run(ctx));
    } catch (err) {
      failures++;
      console.log(`## ${entry.name}\n\ncould not run: ${(err as Error).stack ?? String(err)}\n`);
    } finally {
      await ctx.cleanup();
    }
  }
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
