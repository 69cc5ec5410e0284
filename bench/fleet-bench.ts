// The fleet benchmark: 2,000 target files (--count) × 4 small migrations, applied by a
// plain @duckdb/node-api floor in child processes, by duckmig's target job in plain loops
// in child processes, and by duckmig fleet runs on real fleet worker processes and their own
// redis-server, at the same parallelism (1 process × 1, 1 × 2, 2 processes × 1, 2 × 2); wall
// time, targets/s, overhead vs the floor and (the coordination) vs the loop, Redis commands,
// bytes, CPU and memory per target, peak RSS. Method and goals: docs/benchmarks.md (fleet).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../test/support/system.js';
import { median, type BenchContext, type BenchReport, type Benchmark, type Goal } from './benchmark.js';
import { startFloor, startJobLoop, type FloorMigration, type FloorProcess } from './fleet-floor.js';
import { TARGET_MIGRATIONS } from './fleet-workload.js';
import { halves, resetTargets, startFleetTopology, type FleetTopology } from './fleet-topology.js';
import { cpuMsOf, watchProcesses } from './process-stats.js';
import { redisDelta, type RedisDelta } from './redis-counters.js';
import { ms, type Table } from './table.js';

const DEFAULT_COUNT = 2000;
const THREADS = 1;
const GOAL_OVERHEAD = 0.15;
const IDLE_WINDOW_MS = 15_000;
/** a fleet run with no event for this long has failed */
const STALL_MS = 120_000;

interface Pair {
  /** '1x1', '1x2', '2x1', '2x2' */
  id: string;
  processes: number;
  concurrency: number;
}

const PAIRS: Pair[] = [
  { id: '1x1', processes: 1, concurrency: 1 },
  { id: '1x2', processes: 1, concurrency: 2 },
  { id: '2x1', processes: 2, concurrency: 1 },
  { id: '2x2', processes: 2, concurrency: 2 },
];

interface Sample {
  ms: number;
  /** CPU of the processes doing the work (floor children or fleet workers) */
  cpuMs: number;
  peakRssMiB: number;
  redis?: RedisDelta & { subscriberBytes: number };
  error?: string;
}

const parallelism = (p: Pair) => (p.processes === 1 ? `1 process, ${p.concurrency} file(s) at a time` : `${p.processes} processes × ${p.concurrency}, half the files each`);
const floorLabel = (p: Pair) => `floor: ${parallelism(p)}`;
const loopLabel = (p: Pair) => `duckmig's target job in a plain loop (no queue, no Redis): ${parallelism(p)}`;
const fleetLabel = (p: Pair) => `duckmig fleet run: ${p.processes} worker(s) × concurrency ${p.concurrency}`;

/** What every target must hold after a run: the four migrations' schema, rows and ledger. */
async function verifyTarget(file: string): Promise<string | undefined> {
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  try {
    const [columns, indexes, rows, ledger] = (
      await c.runAndReadAll(`SELECT
        (SELECT count(*) FROM duckdb_columns() WHERE table_name = 'accounts'),
        (SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'accounts_email_idx'),
        (SELECT count(*) FROM accounts WHERE email LIKE '%@example.com'),
        (SELECT count(*) FROM schema_migrations WHERE status = 'applied')`)
    ).getRows()[0]!.map(Number);
    return columns === 5 && indexes === 1 && rows === 2 && ledger === 4 ? undefined : `${file}: columns ${columns}, index ${indexes}, rows ${rows}, ledger ${ledger}`;
  } catch (err) {
    return `${file}: ${(err as Error).message}`;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** A few targets spread over the list (first and last included). */
const spreadSample = (files: string[], n = 5) => [...new Set(Array.from({ length: n }, (_, i) => files[Math.round((i * (files.length - 1)) / (n - 1))]!))];

async function verifySample(files: string[]): Promise<string | undefined> {
  for (const file of spreadSample(files)) {
    const problem = await verifyTarget(file);
    if (problem) return problem;
  }
  return undefined;
}

async function emptyTemplate(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  await c.run('CHECKPOINT');
  c.closeSync();
  instance.closeSync();
}

function selectPairs(only: string[] | undefined): Pair[] {
  if (!only) return PAIRS;
  const unknown = only.filter((id) => !PAIRS.some((p) => p.id === id));
  if (unknown.length) throw new Error(`unknown fleet variant(s) ${unknown.join(', ')}; known: ${PAIRS.map((p) => p.id).join(', ')}`);
  return PAIRS.filter((p) => only.includes(p.id));
}

const perTarget = (value: number, count: number, digits = 1) => (Number.isFinite(value) ? (value / count).toFixed(digits) : '–');
const rate = (count: number, wallMs: number) => `${((count * 1000) / wallMs).toFixed(1)}/s`;
const overhead = (value: number, floor: number) => `${value >= floor ? '+' : ''}${((100 * (value - floor)) / floor).toFixed(1)}%`;

export const fleetBench: Benchmark = {
  name: 'fleet',
  summary: '2,000 targets × 4 migrations: floor (node-api, 1 tx/file), duckmig\'s target job in a loop, and duckmig fleet runs at 1×1, 1×2, 2×1, 2×2; Redis per target',
  async run(ctx: BenchContext): Promise<BenchReport> {
    const count = ctx.options.count ?? DEFAULT_COUNT;
    const reps = Math.max(2, ctx.options.reps);
    const pairs = selectPairs(ctx.options.only);
    const dir = await ctx.tempDir('fleet');
    const migrationsDir = join(dir, 'migrations');
    await mkdir(migrationsDir);
    const migrations: FloorMigration[] = [];
    for (const [file, sql] of Object.entries(TARGET_MIGRATIONS)) {
      await writeFile(join(migrationsDir, file), sql);
      migrations.push({ version: Number(file.slice(0, 3)), name: file.slice(4, -4), checksum: createHash('sha256').update(sql).digest('hex'), sql });
    }
    const template = join(dir, 'empty.template');
    await emptyTemplate(template);
    const ids = Array.from({ length: count }, (_, i) => `t${String(i).padStart(5, '0')}`);

    // the floor: its own files, in processes started once (as the workers are)
    const floorDir = join(dir, 'floor');
    const floorFiles = ids.map((id) => join(floorDir, `${id}.duckdb`));
    await mkdir(floorDir);
    const floors: FloorProcess[] = [];
    // duckmig's target job in plain loops: its own files too, in processes started once
    const loopDir = join(dir, 'loop');
    const loopFiles = ids.map((id) => join(loopDir, `${id}.duckdb`));
    await mkdir(loopDir);
    const loops: FloorProcess[] = [];
    const topologies = new Map<string, FleetTopology>();
    const samples = new Map<string, Sample[]>();
    const idle = new Map<string, RedisDelta>();
    try {
      const maxProcesses = Math.max(...pairs.map((p) => p.processes));
      for (let k = 0; k < maxProcesses; k++) floors.push(await startFloor(REPO_ROOT, THREADS));
      for (let k = 0; k < maxProcesses; k++) loops.push(await startJobLoop(REPO_ROOT, THREADS, migrationsDir));
      for (const p of pairs) {
        ctx.log(`starting fleet ${p.id} (${count} targets)`);
        topologies.set(p.id, await startFleetTopology({ id: p.id, workers: p.processes, concurrency: p.concurrency, targets: ids, dir: join(dir, `fleet-${p.id}`), migrationsDir, template, threads: THREADS }, ctx.log));
      }

      // what idle workers cost Redis (lease renewals, shard state, BullMQ's own polling), all fleets at once
      ctx.log(`idle window: ${IDLE_WINDOW_MS / 1000} s`);
      const before = await Promise.all([...topologies.values()].map((t) => t.counters()));
      await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
      const after = await Promise.all([...topologies.values()].map((t) => t.counters()));
      [...topologies.keys()].forEach((id, i) => idle.set(id, redisDelta(before[i]!, after[i]!)));

      /** a run of the floor's or the loop's child processes over their own files */
      const childRun = async (p: Pair, rep: number, processes: FloorProcess[], files: string[]): Promise<Sample> => {
        await resetTargets(files, template);
        const used = processes.slice(0, p.processes);
        const parts = p.processes === 1 ? [files] : halves(files, p.processes);
        const watch = watchProcesses(used.map((f) => f.pid));
        const started = performance.now();
        const results = await Promise.all(used.map((f, k) => f.run(parts[k]!, migrations, p.concurrency, `floor-${rep}`)));
        const wall = performance.now() - started;
        const { peakRssMiB, cpuMs } = watch.stop();
        const applied = results.reduce((n, r) => n + r.applied, 0);
        const error = results.flatMap((r) => r.errors)[0] ?? (applied !== count ? `applied ${applied}/${count}` : await verifySample(files));
        return { ms: wall, cpuMs: cpuMs.reduce((a, b) => a + b, 0), peakRssMiB, ...(error && { error }) };
      };

      const fleetRun = async (p: Pair): Promise<Sample> => {
        const topology = topologies.get(p.id)!;
        await topology.reset();
        const watch = watchProcesses(topology.workerPids);
        const redisCpu = cpuMsOf(topology.redisPid);
        const before = await topology.counters();
        const started = performance.now();
        const { run, subscriberBytes } = await topology.run(STALL_MS);
        const wall = performance.now() - started;
        const after = await topology.counters();
        const { peakRssMiB, cpuMs } = watch.stop();
        const delta = redisDelta(before, after);
        delta.cpuMs = cpuMsOf(topology.redisPid) - redisCpu;
        const error =
          run.status !== 'succeeded' || run.counts.succeeded !== count ? `run ${run.status}: ${JSON.stringify(run.counts)}${run.haltReason ? ` (${run.haltReason})` : ''}` : await verifySample(topology.files);
        return { ms: wall, cpuMs: cpuMs.reduce((a, b) => a + b, 0), peakRssMiB, redis: { ...delta, subscriberBytes }, ...(error && { error }) };
      };

      const variants = pairs.flatMap((p) => [
        { key: `floor-${p.id}`, run: (rep: number) => childRun(p, rep, floors, floorFiles) },
        { key: `loop-${p.id}`, run: (rep: number) => childRun(p, rep, loops, loopFiles) },
        { key: `fleet-${p.id}`, run: () => fleetRun(p) },
      ]);
      for (let rep = 1; rep <= reps; rep++) {
        // rotate the order each repetition, so no variant always runs right after the same one
        const order = variants.map((_, i) => variants[(i + rep - 1) % variants.length]!);
        for (const v of order) {
          const sample = await v.run(rep);
          samples.set(v.key, [...(samples.get(v.key) ?? []), sample]);
          ctx.log(`fleet rep ${rep}/${reps} ${v.key}: ${ms(sample.ms)}${sample.error ? `  ERROR: ${sample.error}` : ''}`);
        }
      }
    } finally {
      await Promise.allSettled([...floors.map((f) => f.stop()), ...loops.map((f) => f.stop()), ...[...topologies.values()].map((t) => t.stop())]);
    }
    const targetsHashBytes = new Map([...topologies].map(([id, t]) => [id, t.targetsHashBytes]));
    return report(count, reps, pairs, samples, idle, targetsHashBytes);
  },
};

function report(count: number, reps: number, pairs: Pair[], samples: Map<string, Sample[]>, idle: Map<string, RedisDelta>, targetsHashBytes: Map<string, number>): BenchReport {
  const med = (key: string, pick: (s: Sample) => number) => median((samples.get(key) ?? []).map(pick));
  const rows: string[][] = [];
  const goals: Goal[] = [];
  for (const p of pairs) {
    const floorKey = `floor-${p.id}`;
    const loopKey = `loop-${p.id}`;
    const fleetKey = `fleet-${p.id}`;
    const floorMs = med(floorKey, (s) => s.ms);
    const loopMs = med(loopKey, (s) => s.ms);
    const fleetMs = med(fleetKey, (s) => s.ms);
    const variants = [
      [floorKey, floorLabel(p), false],
      [loopKey, loopLabel(p), false],
      [fleetKey, fleetLabel(p), true],
    ] as const;
    for (const [key, label, isFleet] of variants) {
      const list = samples.get(key) ?? [];
      const wall = med(key, (s) => s.ms);
      const errors = list.map((s) => s.error).filter(Boolean);
      const r = (pick: (d: RedisDelta & { subscriberBytes: number }) => number) => (isFleet ? med(key, (s) => pick(s.redis!)) : Number.NaN);
      rows.push([
        key,
        label,
        ms(wall),
        rate(count, wall),
        key === floorKey ? '–' : overhead(wall, floorMs),
        isFleet ? overhead(wall, loopMs) : '–',
        perTarget(med(key, (s) => s.cpuMs), count, 2),
        perTarget(r((d) => d.cpuMs), count, 3),
        perTarget(r((d) => d.commands), count),
        perTarget(r((d) => d.bytes), count, 0),
        perTarget(r((d) => d.memoryBytes), count, 0),
        `${med(key, (s) => s.peakRssMiB).toFixed(0)} MiB`,
        list.map((s) => (s.ms / 1000).toFixed(2)).join(' / '),
        errors.length ? `FAILED: ${errors[0]}` : 'ok',
      ]);
    }
    goals.push({
      label: `(${p.id}) duckmig fleet run ≤ ${100 * GOAL_OVERHEAD}% over the floor at ${p.processes} process(es) × ${p.concurrency}`,
      met: fleetMs <= (1 + GOAL_OVERHEAD) * floorMs,
      detail: `${ms(fleetMs)} vs ${ms(floorMs)}: ${overhead(fleetMs, floorMs)} wall; CPU of the working processes ${overhead(med(fleetKey, (s) => s.cpuMs), med(floorKey, (s) => s.cpuMs))}`,
    });
    goals.push({
      label: `(${p.id}) coordination: the fleet run ≤ ${100 * GOAL_OVERHEAD}% over the same target jobs in a plain loop at ${p.processes} process(es) × ${p.concurrency}`,
      met: fleetMs <= (1 + GOAL_OVERHEAD) * loopMs,
      detail: `${ms(fleetMs)} vs ${ms(loopMs)}: ${overhead(fleetMs, loopMs)} wall; CPU of the working processes ${overhead(med(fleetKey, (s) => s.cpuMs), med(loopKey, (s) => s.cpuMs))}`,
    });
  }

  const main: Table = {
    title: `fleet: ${count} targets × ${Object.keys(TARGET_MIGRATIONS).length} migrations, median of ${reps} runs, every target reset to an empty file before each`,
    columns: ['', 'variant', 'wall', 'targets/s', 'vs floor', 'vs loop', 'CPU ms/target', 'Redis CPU ms/target', 'Redis cmds/target', 'Redis bytes/target', 'Redis memory/target', 'peak RSS', 'runs (s)', 'check'],
    rows,
    footnotes: [
      'Timed: the floor and the loop from "go" to "done" in their already started process(es); duckmig from the fleet-run request (createFleetRun, as the API does) to the run\'s final record on the fleet channel, the workers already started and owning their shards. One wave of 100 % (no canary: the default waves add a canary target run alone and a wave boundary).',
      'CPU ms/target: user+system time of the floor processes or the fleet workers (DuckDB threads included) over the run; Redis CPU and commands/bytes (INFO commandstats; total_net_input_bytes + total_net_output_bytes) on the fleet\'s own redis-server, per target; memory: used_memory after − before (what the run leaves: outcomes, finished target jobs kept an hour, the run record).',
      'peak RSS: the summed resident memory of the working processes, sampled every 50 ms. Each check opens 5 targets spread over the list for the schema, rows and 4 ledger rows.',
    ],
  };

  const commandRows: string[][] = [];
  for (const p of pairs) {
    const list = (samples.get(`fleet-${p.id}`) ?? []).filter((s) => s.redis);
    const names = new Set(list.flatMap((s) => [...s.redis!.byCommand.keys()]));
    const counts = [...names].map((name) => ({ name, n: median(list.map((s) => s.redis!.byCommand.get(name) ?? 0)) })).sort((a, b) => b.n - a.n);
    const subscriber = median(list.map((s) => s.redis!.subscriberBytes));
    commandRows.push([p.id, counts.slice(0, 10).map((c) => `${c.name} ${(c.n / count).toFixed(2)}`).join(', '), perTarget(subscriber, count, 0)]);
  }
  const commands: Table = {
    title: 'duckmig: Redis commands per target by command (median run; EVALSHA are BullMQ\'s and the lease\'s Lua scripts)',
    columns: ['fleet', 'top commands per target', 'pub/sub bytes per target, per subscriber'],
    rows: commandRows,
    footnotes: ['Every subscriber of the fleet channel (each API process with live clients, the bench; fleet workers listen on the controls channel only) receives each event: pub/sub output grows with subscribers × events.'],
  };

  const idleRows = [...idle.entries()].map(([id, d]) => {
    const workers = PAIRS.find((p) => p.id === id)!.processes;
    const seconds = IDLE_WINDOW_MS / 1000;
    return [id, String(workers), perTarget(targetsHashBytes.get(id)!, count, 0), (d.commands / seconds / workers).toFixed(2), (d.bytes / seconds / workers).toFixed(0), [...d.byCommand.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, c]) => `${n} ${(c / seconds / workers).toFixed(2)}`).join(', ')];
  });
  const idleTable: Table = {
    title: `idle fleet workers (owners, no run): Redis cost per worker over ${IDLE_WINDOW_MS / 1000} s, lease TTL 15 s (renewed every 5 s); the published target states (MEMORY USAGE of the targets hash) per target`,
    columns: ['fleet', 'workers', 'target states bytes/target', 'commands/s per worker', 'bytes/s per worker', 'by command (/s per worker)'],
    rows: idleRows,
  };

  return {
    tables: [main, commands, idleTable],
    goals,
    notes: [
      `Both sides: DuckDB threads ${THREADS} per open file, no restore points, no scans during the runs (DUCKMIG_FLEET_SCAN_MS 1 h; each worker scanned its shard once when it took the lease, before timing), LOG_LEVEL info.`,
      'The floor does per file: open, CREATE TABLE IF NOT EXISTS of a ledger like schema_migrations, per migration BEGIN, the file as one query, the ledger row, COMMIT; CHECKPOINT; close. duckmig adds the sandboxed open, its run history (which carries the fence claim), checksums, a parse check, its drift check (every file is new to it: a catalog read each), and the queue and records in Redis.',
      'The loop runs what a fleet worker\'s target job does with a file (bench/fleet-job-work.ts: openTarget, the fenced run with its drift checks, close) in plain async lanes, with no queue, lease, Redis or log: the fleet run over the loop is the cost of the coordination.',
      'The machine may be shared: the variants are interleaved in rotating order across repetitions and the median is shown; compare ratios within a run.',
    ],
  };
}
