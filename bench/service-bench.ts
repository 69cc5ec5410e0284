// The service benchmark: status under load, no-op runs and progress latency on a real system
// (API, worker, Redis); method and goals: docs/benchmarks.md (service). One file because the
// three measurements share the system it starts and the clients it opens.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { defaultDuckdbThreads } from '../config/variables.js';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { redisTopology } from '../config/redis-connection.js';
import { ADMIN_PREFIX, type EnqueuedResponse, type JobView, type RunResult, type StatusResponse, type StatusSummary } from '../contract/index.js';
import { REPO_ROOT, startSystem, type RunningSystem } from '../test/support/system.js';
import { median, percentile, settle, type BenchContext, type BenchReport, type Benchmark, type Goal } from './benchmark.js';
import { openSse, openWebSocket, type LiveClient, type Received } from './live-clients.js';
import { cpuMsOf } from './process-stats.js';
import { closedLoop, paced, startFloorServer, type FloorServer, type LoadResult, type LoadTarget } from './load.js';
import { ms, ratio, type Table } from './table.js';

const LOAD_SECONDS = 10;
const CONNECTIONS = 50;
const GOAL_RPS = 3_000;
/** the rate polled while a long migration runs */
const DURING_RPS = 1_000;
const IDLE_P99_GOAL_MS = 10;
const DURING_P99_GOAL_MS = 50;
/** a 304's p99 against the Hono small-JSON floor's, both paced at GOAL_RPS */
const REVALIDATION_GOAL_RATIO = 1.2;
const LONG_TARGET_MS = 15_000;
const PROGRESS_STATEMENTS = 200;
const PROGRESS_RUNS = 3;
const DEFAULT_NOOP_RUNS = 50;
const WARMUP_RUNS = 3;

/** DUCKMIG_DUCKDB_NICE's default (docs/configuration.md) */
const DEFAULT_NICE = 10;
const DURING_LABEL = 'duckmig GET …/status (summary), during a long migration';

const STATUS_PATH = `${ADMIN_PREFIX}/status`;
const FULL_STATUS_PATH = `${STATUS_PATH}?view=full`;

/** The long migration's statement; `rows` sets its length. CPU-bound, small output (100,000 rows). */
const longStatement = (table: string, rows: number) =>
  `CREATE TABLE IF NOT EXISTS ${table} AS SELECT range % 100000 AS k, max(md5(range::VARCHAR)) AS m FROM range(${rows}) GROUP BY k;`;

const longSql = (table: string, rows: number) =>
  `-- bench: a long migration (CPU-bound, ~${Math.round(LONG_TARGET_MS / 1000)} s on this machine)\n${longStatement(table, rows)}\n`;

/** Rows for ~LONG_TARGET_MS, timed here on an in-memory database with the threads the worker's DuckDB gets (DUCKMIG_DUCKDB_THREADS' default). */
async function calibrateLong(ctx: BenchContext): Promise<{ rows: number; rowsPerS: number; threads: number }> {
  const threads = defaultDuckdbThreads();
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const c = await instance.connect();
  try {
    await c.run(longStatement('warm', 1_000_000));
    const probe = 6_000_000;
    const start = performance.now();
    await c.run(longStatement('probe', probe));
    const rowsPerS = probe / ((performance.now() - start) / 1000);
    const rows = Math.min(2_000_000_000, Math.max(5_000_000, Math.round((rowsPerS * LONG_TARGET_MS) / 1000)));
    ctx.log(`long migration: ${(rowsPerS / 1e6).toFixed(1)} M rows/s here with ${threads} DuckDB thread(s), ${(rows / 1e6).toFixed(0)} M rows for ~${LONG_TARGET_MS / 1000} s`);
    return { rows, rowsPerS, threads };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const progressSql = (table: string) =>
  [
    `-- bench: ${PROGRESS_STATEMENTS} small statements`,
    `CREATE TABLE IF NOT EXISTS ${table} (i INTEGER);`,
    ...Array.from({ length: PROGRESS_STATEMENTS - 1 }, (_, i) => `INSERT INTO ${table} VALUES (${i + 1});`),
    '',
  ].join('\n');

class Api {
  #next = 0;
  readonly #operators: string[];
  constructor(readonly sys: RunningSystem) {
    // the mutating routes allow 30 requests a minute per token: rotate over several
    this.#operators = [sys.tokens.operator, ...sys.moreOperatorTokens];
  }

  async run(): Promise<{ jobId: string; postMs: number }> {
    const token = this.#operators[this.#next++ % this.#operators.length]!;
    const start = performance.now();
    const res = await fetch(`${this.sys.url}${ADMIN_PREFIX}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await res.json()) as EnqueuedResponse;
    if (res.status !== 202) throw new Error(`POST /run answered ${res.status}: ${JSON.stringify(body)}`);
    return { jobId: body.jobId, postMs: performance.now() - start };
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.sys.url}${path}`, { headers: { authorization: `Bearer ${this.sys.tokens.viewer}` } });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    return (await res.json()) as T;
  }
}

/** The summary as a poller first gets it, and its ETag. */
async function summaryWithTag(sys: RunningSystem): Promise<{ summary: StatusSummary; etag: string }> {
  const res = await fetch(`${sys.url}${STATUS_PATH}`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
  const etag = res.headers.get('etag');
  if (res.status !== 200 || !etag) throw new Error(`GET ${STATUS_PATH} answered ${res.status} ${etag ? '' : 'without an ETag'}`);
  return { summary: (await res.json()) as StatusSummary, etag };
}

const completedOf = (jobId: string) => (m: Received['message']) => (m.type === 'completed' || m.type === 'failed') && m.jobId === jobId;

async function finished(live: LiveClient, jobId: string, timeoutMs = 180_000): Promise<Received> {
  const r = await live.next(completedOf(jobId), timeoutMs);
  if (r.message.type === 'failed') throw new Error(`job ${jobId} failed: ${r.message.failedReason}`);
  return r;
}

// ---------------------------------------------------------------- (b) no-op runs

interface NoopSample {
  totalMs: number;
  postMs: number;
  pickupMs: number;
  processMs: number;
  /** the runner's own duration (RunResult.durationMs) */
  runnerMs: number;
  deliverMs: number;
}

async function noopRuns(ctx: BenchContext, api: Api, live: LiveClient, count: number): Promise<NoopSample[]> {
  const samples: NoopSample[] = [];
  for (let i = 0; i < WARMUP_RUNS + count; i++) {
    const start = performance.now();
    const { jobId, postMs } = await api.run();
    const done = await finished(live, jobId);
    const totalMs = done.perfMs - start;
    const result = done.message.type === 'completed' ? (done.message.result as RunResult | null) : null;
    if (result?.status !== 'nothing-to-do') throw new Error(`no-op run ${jobId} ended ${result?.status ?? 'without a result'}: something was pending`);
    if (i < WARMUP_RUNS) continue;
    // the job's own timestamps (ms, same clock) split the time: queue pickup, processing, delivery
    const job = await api.get<JobView>(`${ADMIN_PREFIX}/jobs/${encodeURIComponent(jobId)}`);
    const created = Date.parse(job.createdAt);
    const startedAt = Date.parse(job.startedAt ?? '');
    const finishedAt = Date.parse(job.finishedAt ?? '');
    samples.push({
      totalMs,
      postMs,
      pickupMs: startedAt - created,
      processMs: finishedAt - startedAt,
      runnerMs: result.durationMs,
      deliverMs: done.epochMs - finishedAt,
    });
  }
  ctx.log(`no-op runs: ${count} done, p50 ${ms(percentile(samples.map((s) => s.totalMs), 50))}`);
  return samples;
}

/** The floor of (b): add → completed through BullMQ with an empty processor, on the same Redis. */
async function bullmqFloor(redisUrl: string, count: number): Promise<number[]> {
  const name = 'bench-floor';
  // the same connection maker and BullMQ prefix as the service's, whatever REDIS_URL's form
  const topology = redisTopology(redisUrl);
  const connection = () => topology.connect({ name: 'duckmig-bench', maxRetriesPerRequest: null });
  const prefix = topology.bullPrefix;
  const queueConn = connection();
  const workerConn = connection();
  const eventsConn = connection();
  const queue = new Queue(name, { connection: queueConn, prefix });
  const events = new QueueEvents(name, { connection: eventsConn, prefix });
  const worker = new Worker(name, async () => ({ ok: true }), { connection: workerConn, concurrency: 1, prefix });
  try {
    await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
    const times: number[] = [];
    for (let i = 0; i < WARMUP_RUNS + count; i++) {
      const start = performance.now();
      // kept until the queue is obliterated: a job removed on completion can vanish before waitUntilFinished looks at it
      const job = await queue.add('noop', { i }, { removeOnComplete: 1_000, removeOnFail: 1_000 });
      await job.waitUntilFinished(events, 30_000);
      if (i >= WARMUP_RUNS) times.push(performance.now() - start);
    }
    return times;
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    for (const c of [queueConn, workerConn, eventsConn]) c.disconnect();
  }
}

// ---------------------------------------------------------------- (c) progress latency

interface ProgressRun {
  latencies: number[];
  frames: number;
  expected: number;
  firstMs: number;
  lastMs: number;
  runMs: number;
}

async function progressRun(api: Api, ws: LiveClient, dir: string, version: number): Promise<ProgressRun> {
  await writeFile(join(dir, `${String(version).padStart(3, '0')}_bench_progress_${version}.sql`), progressSql(`bench_progress_${version}`));
  const from = ws.received.length;
  const { jobId } = await api.run();
  const done = await finished(ws, jobId);
  const frames = ws.received.slice(from).filter((r) => r.message.type === 'progress' && r.message.jobId === jobId);
  const latencies = frames.map((r) => (r.message.type === 'progress' ? r.epochMs - Date.parse(r.message.progress.at) : Number.NaN));
  const result = done.message.type === 'completed' ? done.message.result : null;
  if (result?.status !== 'success') throw new Error(`progress run ${jobId} ended ${result?.status ?? 'without a result'}`);
  return {
    latencies,
    frames: frames.length,
    // run:start, migration:start, a statement:start and a statement:done each, committing,
    // migration:done, checkpointing (the run's end), run:done; no samples for short statements
    expected: 2 * PROGRESS_STATEMENTS + 6,
    firstMs: latencies[0] ?? Number.NaN,
    lastMs: latencies.at(-1) ?? Number.NaN,
    runMs: result.durationMs,
  };
}

// ---------------------------------------------------------------- (a) status under load

interface LoadRow {
  label: string;
  /** autocannon c=CONNECTIONS (not run during the migration) */
  closed?: LoadResult;
  paced: LoadResult;
  /** the serving process's CPU time (user + system) per answered request of the paced load, µs */
  pacedCpuUs?: number;
  /** share of the load windows a migration was running (during-migration rows) */
  overlap?: number;
  migrationMs?: number;
  /** during-migration rows: the worker's DUCKMIG_DUCKDB_NICE */
  nice?: number;
}

/** `pid`: the process that serves `target`, whose CPU time the paced load is charged with */
async function loadBoth(ctx: BenchContext, label: string, target: LoadTarget, pid: number): Promise<Omit<LoadRow, 'label'>> {
  await settle();
  const closed = await closedLoop(target, CONNECTIONS, LOAD_SECONDS);
  ctx.log(`${label}: autocannon c=${CONNECTIONS}: ${closed.rps.toFixed(0)} req/s, p50 ${ms(closed.p50)}, p99 ${ms(closed.p99)}${closed.failures ? `, ${closed.failures} failed` : ''}`);
  await settle();
  const cpuBefore = cpuMsOf(pid);
  const open = await paced(target, GOAL_RPS, LOAD_SECONDS, CONNECTIONS);
  const pacedCpuUs = ((cpuMsOf(pid) - cpuBefore) * 1000) / Math.max(1, open.requests);
  ctx.log(`${label}: paced ${GOAL_RPS}/s: ${open.rps.toFixed(0)} req/s, p50 ${ms(open.p50)}, p99 ${ms(open.p99)}, ${pacedCpuUs.toFixed(0)} µs CPU/request${open.failures ? `, ${open.failures} failed` : ''}`);
  return { closed, paced: open, pacedCpuUs };
}

/** Loads while a long migration runs: enqueue it, start the loads once it is applying, then wait for it. */
async function duringMigration(
  ctx: BenchContext,
  api: Api,
  live: LiveClient,
  file: { dir: string; version: number; rows: number },
  loads: (() => Promise<LoadResult>)[],
): Promise<{ results: LoadResult[]; overlap: number; migrationMs: number }> {
  const { dir, version, rows } = file;
  await writeFile(join(dir, `${String(version).padStart(3, '0')}_bench_long_${version}.sql`), longSql(`bench_long_${version}`, rows));
  const { jobId } = await api.run();
  const started = await live.next(
    (m) => m.type === 'progress' && m.jobId === jobId && m.progress.event.type === 'migration:start' && m.progress.event.version === version,
    60_000,
  );
  const loadStart = performance.now();
  const results: LoadResult[] = [];
  for (const load of loads) results.push(await load());
  const loadEnd = performance.now();
  const done = await finished(live, jobId, 600_000);
  const overlap = Math.max(0, Math.min(loadEnd, done.perfMs) - Math.max(loadStart, started.perfMs)) / (loadEnd - loadStart);
  const migrationMs = done.perfMs - started.perfMs;
  ctx.log(`long migration ${version}: ${ms(migrationMs)}, covered ${(overlap * 100).toFixed(0)}% of the load`);
  return { results, overlap, migrationMs };
}

// ---------------------------------------------------------------- the benchmark

export const serviceBench: Benchmark = {
  name: 'service',
  summary: 'status under load (idle and during a long migration), no-op run POST → completed, progress → WebSocket latency',
  async run(ctx): Promise<BenchReport> {
    const noopCount = ctx.options.count ?? DEFAULT_NOOP_RUNS;
    const long = await calibrateLong(ctx);

    ctx.log('starting redis-server, the API and the worker (test/support/system.ts)');
    // the product's default priority for DuckDB's work, whatever this shell sets
    const sys = await startSystem({ extraOperatorTokens: 4, env: { DUCKMIG_DUCKDB_NICE: undefined } });
    const others: RunningSystem[] = [];
    const floors: FloorServer[] = [];
    const clients: LiveClient[] = [];
    try {
      const api = new Api(sys);
      const sse = await openSse(sys.url, sys.tokens.viewer);
      clients.push(sse);
      const statusTarget: LoadTarget = { url: `${sys.url}${STATUS_PATH}`, headers: { authorization: `Bearer ${sys.tokens.viewer}` } };

      // the repo's migrations, applied once (untimed)
      const initial = await api.run();
      await finished(sse, initial.jobId);

      // a second system whose worker runs DuckDB at nice 0 (DUCKMIG_DUCKDB_NICE=0), idle
      // while this one is measured: (b) and the during-migration load also run on it
      ctx.log('starting a second system, its worker\'s DuckDB at nice 0');
      const other = await startSystem({ extraOperatorTokens: 4, env: { DUCKMIG_DUCKDB_NICE: '0' } });
      others.push(other);
      const otherApi = new Api(other);
      const otherSse = await openSse(other.url, other.tokens.viewer);
      clients.push(otherSse);
      await finished(otherSse, (await otherApi.run()).jobId);

      // (b) no-op runs and their floor
      ctx.log(`(b) ${noopCount} no-op runs, POST → completed over SSE`);
      const noop = await noopRuns(ctx, api, sse, noopCount);
      ctx.log('(b) the same on the second system (DuckDB at nice 0)');
      const noopNice0 = await noopRuns(ctx, otherApi, otherSse, noopCount);
      const floorTimes = await bullmqFloor(sys.redis.url, noopCount);
      ctx.log(`(b) floor: BullMQ add → completed p50 ${ms(percentile(floorTimes, 50))}`);

      // (a) status, idle; floors in the same run
      const statusBody = await api.get<StatusResponse>(FULL_STATUS_PATH);
      // the bench's own migrations follow the repo's
      let version = statusBody.snapshot?.status.latestVersion ?? 0;
      const { summary, etag } = await summaryWithTag(sys);
      const revalidateTarget: LoadTarget = { ...statusTarget, headers: { ...statusTarget.headers, 'if-none-match': etag }, expectStatus: 304 };
      const fullTarget: LoadTarget = { ...statusTarget, url: `${sys.url}${FULL_STATUS_PATH}` };
      const small = { ok: true, service: 'floor', at: '2026-01-01T00:00:00.000Z' };
      const nodeFloor = await startFloorServer('node-http', small, REPO_ROOT);
      floors.push(nodeFloor);
      const honoFloor = await startFloorServer('hono', small, REPO_ROOT);
      floors.push(honoFloor);
      const honoSized = await startFloorServer('hono', summary, REPO_ROOT);
      floors.push(honoSized);
      ctx.log('(a) warming up the API and the floors');
      for (const url of [nodeFloor.url, honoFloor.url, honoSized.url]) await closedLoop({ url }, CONNECTIONS, 2);
      for (const target of [statusTarget, revalidateTarget, fullTarget]) await closedLoop(target, CONNECTIONS, 2);

      const rows: LoadRow[] = [];
      const apiPid = sys.api.pid!;
      rows.push({ label: 'floor: node:http, small JSON', ...(await loadBoth(ctx, 'floor node:http', { url: nodeFloor.url }, nodeFloor.pid)) });
      rows.push({ label: 'floor: Hono, small JSON', ...(await loadBoth(ctx, 'floor Hono', { url: honoFloor.url }, honoFloor.pid)) });
      rows.push({ label: 'floor: Hono, the summary body (c.json)', ...(await loadBoth(ctx, 'floor Hono summary-sized', { url: honoSized.url }, honoSized.pid)) });
      rows.push({ label: 'duckmig GET …/status (summary), idle', ...(await loadBoth(ctx, 'status summary idle', statusTarget, apiPid)) });
      rows.push({ label: 'duckmig GET …/status, If-None-Match → 304, idle', ...(await loadBoth(ctx, 'status 304 idle', revalidateTarget, apiPid)) });
      rows.push({ label: 'duckmig GET …/status?view=full, idle', ...(await loadBoth(ctx, 'status full idle', fullTarget, apiPid)) });
      for (const f of floors.splice(0)) await f.stop();

      // (c) progress frames → WebSocket
      ctx.log(`(c) ${PROGRESS_RUNS} runs of ${PROGRESS_STATEMENTS} statements, progress over WebSocket`);
      const ws = await openWebSocket(sys.url, sys.tokens.viewer);
      clients.push(ws);
      const progress: ProgressRun[] = [];
      for (let i = 0; i < PROGRESS_RUNS; i++) {
        await settle();
        progress.push(await progressRun(api, ws, sys.migrationsDir, ++version));
      }

      // (a) the summary while a long migration runs, paced at DURING_RPS: this system (the
      // worker's DuckDB at its default priority) and the second one, in pairs whose order alternates
      ctx.log(`(a) status while a long migration runs, paced at ${DURING_RPS}/s: ${ctx.options.reps} pairs, DuckDB at nice ${DEFAULT_NICE} and, in the second system, 0`);
      let otherVersion = (await otherApi.get<StatusResponse>(FULL_STATUS_PATH)).snapshot?.status.latestVersion ?? 0;
      const sides = new Map([
        [DEFAULT_NICE, { api, sse, dir: sys.migrationsDir, target: statusTarget, next: () => ++version }],
        [0, { api: otherApi, sse: otherSse, dir: other.migrationsDir, target: { ...statusTarget, url: `${other.url}${STATUS_PATH}`, headers: { authorization: `Bearer ${other.tokens.viewer}` } }, next: () => ++otherVersion }],
      ]);
      for (let pair = 0; pair < ctx.options.reps; pair++) {
        for (const nice of pair % 2 === 0 ? [DEFAULT_NICE, 0] : [0, DEFAULT_NICE]) {
          const side = sides.get(nice)!;
          await settle();
          const during = await duringMigration(ctx, side.api, side.sse, { dir: side.dir, version: side.next(), rows: long.rows }, [
            () => paced(side.target, DURING_RPS, LOAD_SECONDS, CONNECTIONS),
          ]);
          const result = during.results[0]!;
          ctx.log(`status during, DuckDB at nice ${nice}: paced ${DURING_RPS}/s: ${result.rps.toFixed(0)} req/s, p99 ${ms(result.p99)}, ${result.failures} failed`);
          rows.push({
            label: `${DURING_LABEL}, DuckDB at nice ${nice}${nice === DEFAULT_NICE ? ' (default)' : ''}, pair ${pair + 1}`,
            paced: result,
            overlap: during.overlap,
            migrationMs: during.migrationMs,
            nice,
          });
        }
      }

      return report({ rows, noop, noopNice0, floorTimes, progress, statusBytes: JSON.stringify(statusBody).length, summaryBytes: JSON.stringify(summary).length, long, noopCount });
    } finally {
      for (const c of clients) c.close();
      await Promise.allSettled(floors.map((f) => f.stop()));
      await Promise.allSettled(others.map((o) => o.stop()));
      await sys.stop();
    }
  },
};

// ---------------------------------------------------------------- the report

interface Measured {
  rows: LoadRow[];
  noop: NoopSample[];
  /** the same on the system whose worker runs DuckDB at nice 0 */
  noopNice0: NoopSample[];
  floorTimes: number[];
  progress: ProgressRun[];
  /** the full view's body */
  statusBytes: number;
  summaryBytes: number;
  long: { rows: number; rowsPerS: number; threads: number };
  noopCount: number;
}

const rps = (n: number) => `${Math.round(n).toLocaleString('en-US')} req/s`;

function report(m: Measured): BenchReport {
  const byLabel = (prefix: string) => m.rows.find((r) => r.label.startsWith(prefix))!;
  const honoFloor = byLabel('floor: Hono, small');
  const nodeFloor = byLabel('floor: node:http, small');
  const idle = byLabel('duckmig GET …/status (summary), idle');
  const revalidation = byLabel('duckmig GET …/status, If-None-Match');
  // only the during-migration rows carry `nice`
  const duringAt = (nice: number) => m.rows.filter((r) => r.nice === nice);
  const during = duringAt(DEFAULT_NICE);
  const duringNice0 = duringAt(0);
  const p99s = (rows: LoadRow[]) => rows.map((r) => r.paced.p99);
  const failed = (rows: LoadRow[]) => rows.reduce((n, r) => n + r.paced.failures, 0);
  const dash = '–';

  const loadTable: Table = {
    title: `(a) GET ${STATUS_PATH} under load, ${LOAD_SECONDS} s each, loopback (client: this process)`,
    columns: ['target', `c=${CONNECTIONS} req/s`, 'p50', 'p99', 'max', `vs Hono floor (req/s)`, 'paced: asked', 'achieved', 'p50', 'p99', 'max', 'CPU/request', 'failed', 'body'],
    rows: m.rows.map((r) => [
      r.label + (r.overlap === undefined ? '' : ` (migration ${ms(r.migrationMs!)}, covered ${(r.overlap * 100).toFixed(0)}% of the load)`),
      r.closed ? rps(r.closed.rps) : dash,
      r.closed ? ms(r.closed.p50) : dash,
      r.closed ? ms(r.closed.p99) : dash,
      r.closed ? ms(r.closed.max) : dash,
      r.closed ? ratio(honoFloor.closed!.rps, r.closed.rps) : dash,
      `${(r.paced.targetRps ?? 0).toLocaleString('en-US')}/s`,
      rps(r.paced.rps),
      ms(r.paced.p50),
      ms(r.paced.p99),
      ms(r.paced.max),
      r.pacedCpuUs === undefined ? dash : `${Math.round(r.pacedCpuUs)} µs`,
      String((r.closed?.failures ?? 0) + r.paced.failures),
      `${(r.closed ?? r.paced).bodyBytes} B`,
    ]),
    footnotes: [
      `c=${CONNECTIONS}: autocannon 8, ${CONNECTIONS} connections, no pipelining, each sends its next request as soon as an answer arrives: the most this target serves, and the latency at that rate (closed loop: mean latency ≈ ${CONNECTIONS} / throughput).`,
      `paced: requests due at even intervals over ≤ ${CONNECTIONS} keep-alive sockets (node:http), latency from each request's due time (no coordinated omission; ≤ ~1 ms of it is the generator's 1 ms timer). A target that cannot keep up gets 2 s after the window; what is still unanswered counts as failed, with its wait so far in the percentiles.`,
      'CPU/request: the serving process\'s CPU time (user + system, /proc, 10 ms ticks) over the paced load, per answered request.',
      '"vs Hono floor": how many times more requests per second the trivial Hono route serves. Latencies are per-response timings (µs resolution), percentiles by nearest rank. The 304 row counts only 304 answers as successes.',
      `Bodies: the summary ${m.summaryBytes} bytes, the full view ${m.statusBytes} bytes of JSON (snapshot with the last ${Math.min(50, m.noopCount + 1)} runs). Long migration: CREATE TABLE … AS SELECT range % 100000, max(md5(range::VARCHAR)) … GROUP BY over ${(m.long.rows / 1e6).toFixed(0)} M rows (calibrated at ${(m.long.rowsPerS / 1e6).toFixed(1)} M rows/s), run by the worker's DuckDB with ${m.long.threads} thread(s) (DUCKMIG_DUCKDB_THREADS' default: cores − 1).`,
    ],
  };

  const q = (values: number[], p: number) => percentile(values, p);
  const noopTotals = m.noop.map((s) => s.totalMs);
  const nice0Totals = m.noopNice0.map((s) => s.totalMs);
  const part = (pick: (s: NoopSample) => number) => m.noop.map(pick);
  const noopTable: Table = {
    title: `(b) no-op run (nothing pending): POST …/run → \`completed\` on the SSE stream, ${m.noop.length} sequential runs`,
    columns: ['', 'p50', 'p95', 'max', 'vs floor (p50)'],
    rows: [
      ['duckmig: POST → completed received', ms(q(noopTotals, 50)), ms(q(noopTotals, 95)), ms(q(noopTotals, 100)), ratio(q(noopTotals, 50), q(m.floorTimes, 50))],
      ['  POST → 202 (enqueue, rate limit, auth)', ms(q(part((s) => s.postMs), 50)), ms(q(part((s) => s.postMs), 95)), ms(q(part((s) => s.postMs), 100)), '–'],
      ['  created → picked up by the worker (job timestamps)', ms(q(part((s) => s.pickupMs), 50)), ms(q(part((s) => s.pickupMs), 95)), ms(q(part((s) => s.pickupMs), 100)), '–'],
      ['  picked up → finished (runner, progress, snapshot)', ms(q(part((s) => s.processMs), 50)), ms(q(part((s) => s.processMs), 95)), ms(q(part((s) => s.processMs), 100)), '–'],
      ['    of which the runner (RunResult.durationMs)', ms(q(part((s) => s.runnerMs), 50)), ms(q(part((s) => s.runnerMs), 95)), ms(q(part((s) => s.runnerMs), 100)), '–'],
      ['  finished → `completed` at the client (QueueEvents → SSE)', ms(q(part((s) => s.deliverMs), 50)), ms(q(part((s) => s.deliverMs), 95)), ms(q(part((s) => s.deliverMs), 100)), '–'],
      ['duckmig, DuckDB at nice 0 (DUCKMIG_DUCKDB_NICE=0; a second system): POST → completed', ms(q(nice0Totals, 50)), ms(q(nice0Totals, 95)), ms(q(nice0Totals, 100)), ratio(q(nice0Totals, 50), q(m.floorTimes, 50))],
      ['floor: BullMQ add → completed, empty processor, same Redis', ms(q(m.floorTimes, 50)), ms(q(m.floorTimes, 95)), ms(q(m.floorTimes, 100)), '1.00×'],
    ],
    footnotes: [
      'The split uses the job\'s createdAt/startedAt/finishedAt (whole milliseconds, same clock) and the client\'s receive time; the parts need not add up to the total exactly.',
      'The floor runs its Queue, QueueEvents and Worker in this process (three connections), after the duckmig runs.',
    ],
  };

  const allLat = m.progress.flatMap((p) => p.latencies);
  const progressTable: Table = {
    title: `(c) progress frame latency: worker's progress.at → WebSocket client receive, ${m.progress.length} runs of ${PROGRESS_STATEMENTS} statements`,
    columns: ['run', 'frames', 'p50', 'p95', 'max', 'first frame', 'last frame', 'run duration'],
    rows: [
      ...m.progress.map((p, i) => [
        `run ${i + 1}`,
        `${p.frames}/${p.expected}`,
        ms(q(p.latencies, 50)),
        ms(q(p.latencies, 95)),
        ms(q(p.latencies, 100)),
        ms(p.firstMs),
        ms(p.lastMs),
        ms(p.runMs),
      ]),
      ['all', String(allLat.length), ms(q(allLat, 50)), ms(q(allLat, 95)), ms(q(allLat, 100)), '–', '–', '–'],
    ],
    footnotes: ['progress.at is stamped (ISO, whole ms) when the worker creates the frame; the client stamps Date.now() when the bytes arrive. Both on this machine\'s clock.'],
  };

  const noopP50 = q(noopTotals, 50);
  const progressP95 = q(allLat, 95);
  const keepsUp = (r: LoadResult, rate: number) => r.rps >= rate * 0.98;
  const revalidationRatio = revalidation.paced.p99 / honoFloor.paced.p99;
  const goals: Goal[] = [
    {
      label: `(a) status summary p99 ≤ ${IDLE_P99_GOAL_MS} ms, idle — paced at ${GOAL_RPS.toLocaleString('en-US')}/s`,
      met: idle.paced.p99 <= IDLE_P99_GOAL_MS && keepsUp(idle.paced, GOAL_RPS) && idle.paced.failures === 0,
      detail: `p99 ${ms(idle.paced.p99)} at ${rps(idle.paced.rps)} (p50 ${ms(idle.paced.p50)}), ${idle.paced.failures} failed; the trivial Hono route: p99 ${ms(honoFloor.paced.p99)}; a bare node:http server writing a fixed buffer: p99 ${ms(nodeFloor.paced.p99)}`,
    },
    {
      label: `(a) status summary p99 ≤ ${DURING_P99_GOAL_MS} ms with no failed request while a CPU-heavy migration runs — paced at ${DURING_RPS.toLocaleString('en-US')}/s`,
      met: median(p99s(during)) <= DURING_P99_GOAL_MS && failed(during) === 0 && during.every((r) => keepsUp(r.paced, DURING_RPS) && (r.overlap ?? 0) >= 0.95),
      detail: `median p99 ${ms(median(p99s(during)))} over ${during.length} runs (${p99s(during).map((v) => ms(v)).join(', ')}), ${failed(during)} failed; the migrations covered ≥ ${(Math.min(...during.map((r) => r.overlap ?? 0)) * 100).toFixed(0)}% of their load windows. With DuckDB at nice 0 in the same run: median p99 ${ms(median(p99s(duringNice0)))} (${p99s(duringNice0).map((v) => ms(v)).join(', ')}), ${failed(duringNice0)} failed`,
    },
    {
      label: `(a) a 304 revalidation's p99 ≤ ${REVALIDATION_GOAL_RATIO}× the Hono small-JSON floor's, same run — paced at ${GOAL_RPS.toLocaleString('en-US')}/s`,
      met: revalidationRatio <= REVALIDATION_GOAL_RATIO && revalidation.paced.failures === 0 && keepsUp(revalidation.paced, GOAL_RPS),
      detail: `304 p99 ${ms(revalidation.paced.p99)} vs floor p99 ${ms(honoFloor.paced.p99)} (${revalidationRatio.toFixed(2)}×), ${revalidation.paced.failures} failed`,
    },
    {
      label: '(b) no-op run POST → completed p50 ≤ 25 ms',
      met: noopP50 <= 25,
      detail: `p50 ${ms(noopP50)}, p95 ${ms(q(noopTotals, 95))} over ${m.noop.length} runs; BullMQ floor p50 ${ms(q(m.floorTimes, 50))} (${ratio(noopP50, q(m.floorTimes, 50))})`,
    },
    {
      label: '(c) progress event worker → WebSocket client p95 ≤ 100 ms',
      met: progressP95 <= 100,
      detail: `p95 ${ms(progressP95)}, p50 ${ms(q(allLat, 50))}, max ${ms(q(allLat, 100))} over ${allLat.length} frames`,
    },
  ];

  return {
    tables: [loadTable, noopTable, progressTable],
    goals,
    notes: [
      'One machine (2 cores, shared) runs the client, the API, the worker, Redis and DuckDB; the floors run under the same conditions in the same run, so compare ratios rather than absolute numbers across runs.',
      `the status goals are judged at paced rates (latency at that rate); the autocannon c=${CONNECTIONS} columns show the most each target serves.`,
      `no-op run: of the worker's ${ms(median(m.noop.map((s) => s.processMs)))} (median) the runner takes ${ms(median(m.noop.map((s) => s.runnerMs)))}; the rest is writing the run's history row (after the runner's clock stops), progress writes, the snapshot (a SET in Redis: after a run that applied nothing its history is not read back) and BullMQ's completion.`,
    ],
  };
}
