// The fleet benchmark's floor: a child process (like a fleet worker) that applies the same
// migrations to a list of target files with nothing but @duckdb/node-api — per file: open,
// a ledger table like duckmig's, one transaction per migration with its ledger row,
// CHECKPOINT, close — `concurrency` files at a time. The parent starts it untimed, then
// times go → done over IPC, as it times a fleet run from request to end. The same plumbing
// starts the loop of duckmig's own target job (fleet-job-loop.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { FLOOR_LEDGER_DDL, FLOOR_LEDGER_INSERT } from './fleet-workload.js';

export interface FloorMigration {
  version: number;
  name: string;
  checksum: string;
  sql: string;
}

export interface FloorResult {
  applied: number;
  errors: string[];
}

export interface FloorProcess {
  readonly pid: number;
  /** applies every migration to each file, `concurrency` files at a time */
  run(files: string[], migrations: FloorMigration[], concurrency: number, runId: string): Promise<FloorResult>;
  stop(): Promise<void>;
}

const CHILD = `
import { DuckDBInstance } from '@duckdb/node-api';
const LEDGER = ${JSON.stringify(FLOOR_LEDGER_DDL)};
const INSERT = ${JSON.stringify(FLOOR_LEDGER_INSERT)};
const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '');
async function migrate(file, migrations, runId) {
  const instance = await DuckDBInstance.create(file, { threads: process.env.FLOOR_THREADS });
  const c = await instance.connect();
  try {
    await c.run(LEDGER);
    for (const m of migrations) {
      const started = performance.now();
      await c.run('BEGIN TRANSACTION');
      await c.run(m.sql);
      await c.run(INSERT, [m.version, m.name, m.checksum, now(), performance.now() - started, runId]);
      await c.run('COMMIT');
    }
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
process.on('message', async ({ files, migrations, concurrency, runId }) => {
  let next = 0;
  let applied = 0;
  const errors = [];
  const lane = async () => {
    while (next < files.length) {
      const file = files[next++];
      try {
        await migrate(file, migrations, runId);
        applied++;
      } catch (err) {
        errors.push(file + ': ' + err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  process.send({ applied, errors: errors.slice(0, 3) });
});
process.send('ready');
`;

/** Starts a floor process (DuckDB loaded, nothing opened) in `cwd` (where node_modules is). */
export function startFloor(cwd: string, threads: number): Promise<FloorProcess> {
  return startWorkProcess(['--input-type=module', '-e', CHILD], cwd, { FLOOR_THREADS: String(threads) });
}

/**
 * Starts a process that does a fleet worker's target job on each file (fleet-job-loop.ts:
 * openTarget, the fenced run with its drift checks, close) in plain loops, with no queue and
 * no Redis: the fleet run's work without its coordination. It takes its migrations from
 * `migrationsDir` (the `migrations` given to run are the same files).
 */
export function startJobLoop(cwd: string, threads: number, migrationsDir: string): Promise<FloorProcess> {
  return startWorkProcess(['--import', 'tsx', join(cwd, 'bench', 'fleet-job-loop.ts')], cwd, { FLOOR_THREADS: String(threads), JOB_LOOP_MIGRATIONS: migrationsDir });
}

/** A child process answering 'ready', then one result per request over IPC. */
async function startWorkProcess(args: string[], cwd: string, env: Record<string, string>): Promise<FloorProcess> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`work process exited (${code}): ${stderr}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as T);
      });
    });
  await next<'ready'>();
  return {
    pid: child.pid!,
    async run(files, migrations, concurrency, runId) {
      const done = next<FloorResult>();
      child.send({ files, migrations, concurrency, runId });
      return done;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
