// Crash trials: a real child process applies a batch of migrations and is killed with
// SIGKILL at a random moment; then the file must open through Database.open and the
// ledger must match the schema (every applied version's objects complete, no object of an
// unrecorded migration). Shared by the crash-trial test and the runner benchmark.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Database } from '../../core/index.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(REPO_ROOT, 'test/fixtures/run-until-killed.ts');

/**
 * How to start the child: bundled once, with the packages it imports, into one ESM file
 * next to node_modules (esbuild, which tsx brings along); only DuckDB's native binding is
 * loaded from node_modules. A child then starts without compiling TypeScript (seconds per
 * trial on a loaded 2-core machine) and without resolving and parsing each package's
 * CommonJS files (about a third of a start's CPU). Falls back to tsx.
 */
async function childCommand(): Promise<{ args: string[]; dispose: () => void }> {
  try {
    const esbuild = await import('esbuild');
    const dir = mkdtempSync(join(REPO_ROOT, 'node_modules', '.cache-duckmig-crash-'));
    const outfile = join(dir, 'run-until-killed.mjs');
    await esbuild.build({
      entryPoints: [CHILD],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@duckdb/node-bindings'],
      // the bundled CommonJS packages require() the native binding and node's modules
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    return { args: [outfile], dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    return { args: ['--import', 'tsx', CHILD], dispose: () => {} };
  }
}

/**
 * Where a sweep keeps its files: memory-backed /dev/shm where there is one. A SIGKILL ends
 * the process, not the machine, so what a killed run leaves is the same as on disk (the
 * kernel keeps every write it was handed); only the fsync of each commit stops costing a
 * disk round trip, which would otherwise stretch every trial on a busy machine.
 */
function scratchRoot(memoryBacked: boolean): string {
  const shm = '/dev/shm';
  try {
    if (!memoryBacked) throw new Error('on disk');
    accessSync(shm, constants.W_OK);
    return mkdtempSync(join(shm, 'duckmig-crash-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'duckmig-crash-'));
  }
}

/** Every `TOUCH_EVERY`th migration also alters the previous one's table. */
const TOUCH_EVERY = 4;

/**
 * Migration n: a table with a function default (current_timestamp) and three rows, then
 * ADD COLUMN on it — the DDL whose WAL DuckDB 1.5.6 cannot replay on a direct open; every
 * few files it also indexes, alters and updates the previous table, so files depend on
 * each other. Small on purpose: the trials measure crash points, not DuckDB's speed.
 */
export function crashMigrationSql(n: number): string {
  const t = `c_${n}`;
  const lines = [
    `-- crash trial migration ${n}`,
    `CREATE TABLE ${t} (id INTEGER, name VARCHAR NOT NULL, created_at TIMESTAMP DEFAULT current_timestamp);`,
    `INSERT INTO ${t} (id, name) VALUES (1, 'a${n}'), (2, 'b${n}'), (3, 'c${n}');`,
    `ALTER TABLE ${t} ADD COLUMN note VARCHAR;`,
  ];
  if (touches(n)) {
    const prev = `c_${n - 1}`;
    lines.push(`CREATE INDEX ${prev}_name ON ${prev} (name);`, `ALTER TABLE ${prev} ADD COLUMN from_${n} INTEGER;`, `UPDATE ${prev} SET from_${n} = ${n};`);
  }
  return `${lines.join('\n')}\n`;
}

function touches(n: number): boolean {
  return n > 1 && n % TOUCH_EVERY === 0;
}

export function writeCrashMigrations(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; n <= count; n++) writeFileSync(join(dir, `${String(n).padStart(3, '0')}_crash_step_${n}.sql`), crashMigrationSql(n));
}

export interface TrialOutcome {
  /** the child was killed before its run finished (else it completed) */
  killed: boolean;
  killAfterMs: number;
  /** Database.open succeeded */
  openable: boolean;
  /** Database.open had to recover a WAL DuckDB could not replay directly */
  walRecovered: boolean;
  /** versions the ledger records as applied */
  applied: number;
  /** what breaks "ledger == schema", empty when it holds */
  mismatches: string[];
  openError?: string;
}

/** Compares the ledger with the objects each migration creates (see crashMigrationSql). */
export async function ledgerSchemaMismatches(db: Database, count: number): Promise<{ applied: number; mismatches: string[] }> {
  const c = db.connection;
  const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRows();
  const ledgerExists = (await rows("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"))[0]![0] !== 0n;
  const ledger = ledgerExists ? (await rows("SELECT version FROM schema_migrations WHERE status = 'applied' ORDER BY version")).map((r) => Number(r[0])) : [];
  const tables = new Set((await rows("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'c\\_%' ESCAPE '\\'")).map((r) => String(r[0])));
  const indexes = new Set((await rows("SELECT index_name FROM duckdb_indexes() WHERE table_name LIKE 'c\\_%' ESCAPE '\\'")).map((r) => String(r[0])));
  const columns = new Set(
    (await rows("SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE table_name LIKE 'c\\_%' ESCAPE '\\'")).map((r) => String(r[0])),
  );
  const mismatches: string[] = [];
  const recorded = new Set(ledger);
  if (recorded.size !== ledger.length) mismatches.push(`a version is recorded as applied twice: ${ledger.join(',')}`);
  ledger.forEach((v, i) => {
    if (v !== i + 1) mismatches.push(`applied versions are not 1..${ledger.length} in order: ${ledger.join(',')}`);
  });
  for (let n = 1; n <= count; n++) {
    const t = `c_${n}`;
    const parts: [string, boolean][] = [
      [`table ${t}`, tables.has(t)],
      [`column ${t}.note`, columns.has(`${t}.note`)],
    ];
    if (touches(n)) parts.push([`index c_${n - 1}_name`, indexes.has(`c_${n - 1}_name`)], [`column c_${n - 1}.from_${n}`, columns.has(`c_${n - 1}.from_${n}`)]);
    const present = parts.filter(([, has]) => has).map(([what]) => what);
    if (recorded.has(n) && present.length < parts.length) {
      mismatches.push(`${n} is recorded as applied but lacks ${parts.filter(([, has]) => !has).map(([w]) => w).join(', ')}`);
    }
    if (!recorded.has(n) && present.length > 0) mismatches.push(`${n} is not recorded but its ${present.join(', ')} exist`);
  }
  // every applied migration's rows: 3 rows each, and the 3 rows it updated (plain counts in
  // two queries: a scalar subquery per migration costs DuckDB three times the CPU)
  const complete = ledger.filter((n) => tables.has(`c_${n}`) && (!touches(n) || columns.has(`c_${n - 1}.from_${n}`)));
  const incomplete = new Set<number>();
  const countEach = async (sql: string[]) => (sql.length === 0 ? [] : rows(sql.join(' UNION ALL ')));
  for (const [v, own] of await countEach(complete.map((n) => `SELECT ${n} AS v, count(*) AS own FROM c_${n}`))) {
    if (Number(own) !== 3) incomplete.add(Number(v));
  }
  const updates = complete.filter(touches).map((n) => `SELECT ${n} AS v, count(*) AS updated FROM c_${n - 1} WHERE from_${n} = ${n}`);
  for (const [v, updated] of await countEach(updates)) {
    if (Number(updated) !== 3) incomplete.add(Number(v));
  }
  for (const v of complete.filter((n) => incomplete.has(n))) mismatches.push(`${v} is recorded as applied but its rows are incomplete`);
  return { applied: ledger.length, mismatches };
}

export interface TrialOptions {
  /** node's arguments that start the child (childCommand) */
  child: string[];
  dbPath: string;
  migrationsDir: string;
  count: number;
  /** `default`, `each`, `end` or a budget such as `100ms` */
  policy: string;
  /** kill this long after the child says `running`; Infinity lets it finish */
  killAfterMs: number;
}

/** Runs the child on `dbPath`, kills it on time, then opens the file and checks it. */
export async function runTrial(options: TrialOptions): Promise<TrialOutcome & { runMs?: number }> {
  const child = spawn(process.execPath, [...options.child, options.dbPath, options.migrationsDir, options.policy], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let timer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (timer === undefined && out.includes('running\n') && Number.isFinite(options.killAfterMs)) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (err += chunk));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  const killed = signal === 'SIGKILL';
  if (!killed && code !== 0) throw new Error(`crash-trial child exited ${code}: ${err.trim() || out.trim()}`);
  const finished = /finished (\d+)/.exec(out);

  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  let db: Database;
  try {
    db = await Database.open(options.dbPath, { attempts: 1, logger });
  } catch (e) {
    return { killed, killAfterMs: options.killAfterMs, openable: false, walRecovered: false, applied: 0, mismatches: [], openError: (e as Error).message };
  }
  try {
    const { applied, mismatches } = await ledgerSchemaMismatches(db, options.count);
    if (!killed && applied !== options.count) mismatches.push(`the run finished but applied ${applied} of ${options.count}`);
    return {
      killed,
      killAfterMs: options.killAfterMs,
      openable: true,
      walRecovered: logs.some((l) => l.includes('"event":"wal-recovered"')),
      applied,
      mismatches,
      ...(finished && { runMs: Number(finished[1]) }),
    };
  } finally {
    await db.close();
  }
}

export interface TrialSummary {
  policy: string;
  trials: number;
  killed: number;
  openable: number;
  walRecovered: number;
  ledgerMatchesSchema: number;
  /** runs that started from a killed run's file (resumed what was pending) */
  resumed: number;
  /** median length of the uninterrupted runs of all `count` migrations */
  runMs: number;
  failures: string[];
}

/**
 * `trials` crash trials of one policy on `parallel` lanes. Each lane first applies all
 * `count` migrations uninterrupted to a fresh file (measuring the run's length under this
 * load); then each trial runs on the file the previous trial left and is killed at a time
 * drawn uniformly from the measured time the pending migrations take, so kill points fall
 * across the whole run, resumed runs included; when a run completes, the lane starts over
 * on a fresh file. `random` is injectable so a failing sweep can be replayed.
 */
export async function crashTrials(options: {
  count: number;
  trials: number;
  parallel: number;
  policy: string;
  random?: () => number;
  /** keep the files in /dev/shm where there is one (scratchRoot); a benchmark timing runs leaves them on disk */
  memoryBacked?: boolean;
}): Promise<TrialSummary> {
  const { count, trials, parallel, policy, random = Math.random, memoryBacked = false } = options;
  const root = scratchRoot(memoryBacked);
  const migrationsDir = join(root, 'migrations');
  const command = await childCommand();
  const child = command.args;
  try {
    writeCrashMigrations(migrationsDir, count);
    let file = 0;
    const freshPath = () => join(root, `${++file}.duckdb`);
    const lanes = Array.from({ length: parallel }, (_, lane) => ({ lane, dbPath: freshPath(), applied: 0 }));
    const calibration = await Promise.all(lanes.map((l) => runTrial({ child, dbPath: l.dbPath, migrationsDir, count, policy, killAfterMs: Number.POSITIVE_INFINITY })));
    const runMs = Math.max(1, median(calibration.map((t) => t.runMs ?? 0)));
    const outcomes: (TrialOutcome & { resumed: boolean })[] = calibration.map((t) => ({ ...t, resumed: false }));
    let remaining = trials - calibration.length;
    await Promise.all(
      lanes.map(async (l) => {
        l.dbPath = freshPath();
        while (remaining > 0) {
          remaining--;
          const pending = count - l.applied;
          // a resumed run still analyses every file first: never a window below 10 files' time
          const killAfterMs = Math.round(random() * runMs * (Math.max(pending, 10) / count));
          const t = await runTrial({ child, dbPath: l.dbPath, migrationsDir, count, policy, killAfterMs });
          outcomes.push({ ...t, resumed: l.applied > 0 });
          l.applied = t.applied;
          if (!t.killed || !t.openable || t.mismatches.length > 0) {
            l.dbPath = freshPath();
            l.applied = 0;
          }
        }
      }),
    );
    const failures = outcomes.flatMap((t) => {
      const when = `${t.resumed ? 'resumed run ' : ''}killed after ${t.killAfterMs} ms`;
      return !t.openable ? [`${when}: does not open: ${t.openError}`] : t.mismatches.map((m) => `${when}: ${m}`);
    });
    return {
      policy,
      trials: outcomes.length,
      killed: outcomes.filter((t) => t.killed).length,
      openable: outcomes.filter((t) => t.openable).length,
      walRecovered: outcomes.filter((t) => t.walRecovered).length,
      ledgerMatchesSchema: outcomes.filter((t) => t.openable && t.mismatches.length === 0).length,
      resumed: outcomes.filter((t) => t.resumed).length,
      runMs,
      failures,
    };
  } finally {
    command.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}
