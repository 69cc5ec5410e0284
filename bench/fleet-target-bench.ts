// What one fleet target costs, without the queue: in this one process, the floor (open, the
// floor's ledger, one transaction per migration with its row, CHECKPOINT, close, with
// nothing but @duckdb/node-api) against what a fleet worker does with a target file (open
// it sandboxed, run its pending migrations under a fencing token, close it: fleet-job-work.ts,
// the same calls as worker/fleet/target-job.ts), file after file in rotating order, on fresh
// copies of an empty database (`--count` each), duckmig's twice: on a file no drift check
// has seen, and on one a scan (untimed) found clean, whose check the job keeps. CPU and wall
// per file, and duckmig's open / run / close. Another side writes by hand, with node-api alone, what duckmig keeps in
// a target (its ledger and run history tables, a run row with the fence, a ledger row per
// migration): the floor of storing duckmig's records, which splits duckmig's overhead into
// that storage and the rest.
// Method and numbers: docs/benchmarks.md (fleet-target).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Ledger } from '../core/ledger.js';
import { openScanner } from '../worker/fleet/target-scan.js';
import { median, type BenchContext, type BenchReport, type Benchmark } from './benchmark.js';
import { targetOf, targetWork } from './fleet-job-work.js';
import { FLOOR_LEDGER_DDL, FLOOR_LEDGER_INSERT, TARGET_MIGRATIONS, floorTimestamp } from './fleet-workload.js';
import { ms, ratio } from './table.js';

const DEFAULT_FILES = 60;
const WARMUP_FILES = 3;

interface FileCost {
  wallMs: number;
  cpuMs: number;
  /** duckmig only: open, run, close */
  phases?: [number, number, number];
}

async function floorFile(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file, { threads: '1' });
  const c = await instance.connect();
  try {
    await c.run(FLOOR_LEDGER_DDL);
    for (const [name, sql] of Object.entries(TARGET_MIGRATIONS)) {
      const started = performance.now();
      await c.run('BEGIN TRANSACTION');
      await c.run(sql);
      await c.run(FLOOR_LEDGER_INSERT, [Number(name.slice(0, 3)), name.slice(4, -4), 'checksum', floorTimestamp(), performance.now() - started, 'bench']);
      await c.run('COMMIT');
    }
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** The DDL of the tables duckmig creates in a fleet target (the product's, read once from an empty in-memory database). */
async function recordsDdl(): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return (await new Ledger(c).missingTables({ legacy: false, fenced: true })).ddl;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** The floor's calls, storing what duckmig stores: its two tables (`ddl`), a fenced run row, ten-column ledger rows, the run's final row in the last migration's transaction. */
async function ledgerFloorFile(file: string, ddl: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(file, { threads: '1' });
  const c = await instance.connect();
  try {
    const started = floorTimestamp();
    await c.run(`BEGIN TRANSACTION; ${ddl.join(';\n')};`);
    await c.run(
      `INSERT INTO schema_migration_runs (run_id, job_id, mode, status, requested_by, reason, started_at, finished_at, duration_ms, from_version, to_version, error, migrations, restore_point, fence_shard, fence_token)
       VALUES (?, NULL, 'run', 'running', 'bench', NULL, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), 0, 0, 0, NULL, '[]', NULL, 'bench', 1)`,
      ['bench', started, started],
    );
    await c.run('COMMIT');
    const entries = Object.entries(TARGET_MIGRATIONS);
    for (const [i, [name, sql]] of entries.entries()) {
      const t0 = performance.now();
      await c.run('BEGIN TRANSACTION');
      await c.run(sql);
      await c.run(
        `INSERT INTO schema_migrations (version, name, checksum, status, applied_at, duration_ms, applied_by, run_id, job_id, error)
         VALUES (?, ?, 'checksum', 'applied', CAST(? AS TIMESTAMP), ?, 'bench', 'bench', NULL, NULL)`,
        [Number(name.slice(0, 3)), name.slice(4, -4), floorTimestamp(), performance.now() - t0],
      );
      if (i === entries.length - 1) {
        await c.run(
          `UPDATE schema_migration_runs SET status = 'success', finished_at = CAST(? AS TIMESTAMP), duration_ms = ?, to_version = ?, migrations = ? WHERE run_id = 'bench' AND status = 'running'`,
          [floorTimestamp(), 12.5, entries.length, JSON.stringify(entries.map(([n]) => ({ version: Number(n.slice(0, 3)), name: n.slice(4, -4), status: 'applied' })))],
        );
      }
      await c.run('COMMIT');
    }
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

async function measured(fn: () => Promise<[number, number, number] | void>): Promise<FileCost> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const phases = await fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, ...(phases && { phases }) };
}

export const fleetTargetBench: Benchmark = {
  name: 'fleet-target',
  summary: 'one fleet target in one process, no queue: floor (node-api) vs open + fenced run + close, per file',
  async run(ctx: BenchContext): Promise<BenchReport> {
    const count = ctx.options.count ?? DEFAULT_FILES;
    const dir = await ctx.tempDir('fleet-target');
    const migrationsDir = join(dir, 'migrations');
    await mkdir(migrationsDir);
    for (const [file, sql] of Object.entries(TARGET_MIGRATIONS)) await writeFile(join(migrationsDir, file), sql);
    const template = join(dir, 'empty.duckdb');
    const seed = await DuckDBInstance.create(template);
    seed.closeSync();

    const work = targetWork(migrationsDir);
    const ddl = await recordsDdl();
    const duckmigFile = (file: string) => work.migrate(file);
    // a shard scan (untimed) that finds the file clean first, as the owner's scans do between runs
    const scanned = async (file: string): Promise<string> => {
      const scanner = await openScanner(work.settings, work.files, { expected: work.drift.expectedSchemas, findings: work.drift.findings });
      try {
        const state = await scanner.state(targetOf(file), { shard: 'bench', owner: 'bench' });
        if (scanner.catalogsRead !== 1 || state.health !== 'pending') throw new Error(`the scan of ${file} did not read its catalog: ${JSON.stringify(state)}`);
      } finally {
        scanner.close();
      }
      return file;
    };

    let n = 0;
    const fresh = async () => {
      const file = join(dir, `t${n++}.duckdb`);
      await copyFile(template, file);
      return file;
    };
    for (let i = 0; i < WARMUP_FILES; i++) {
      await floorFile(await fresh());
      await ledgerFloorFile(await fresh(), ddl);
      await duckmigFile(await fresh());
      await duckmigFile(await scanned(await fresh()));
    }
    const floor: FileCost[] = [];
    const ledgerFloor: FileCost[] = [];
    const duckmig: FileCost[] = [];
    const duckmigScanned: FileCost[] = [];
    const sides = [
      async () => floor.push(await measured(async () => floorFile(await fresh()))),
      async () => ledgerFloor.push(await measured(async () => ledgerFloorFile(await fresh(), ddl))),
      async () => duckmig.push(await measured(async () => duckmigFile(await fresh()))),
      async () => {
        const file = await scanned(await fresh());
        duckmigScanned.push(await measured(async () => duckmigFile(file)));
      },
    ];
    for (let i = 0; i < count; i++) {
      // rotating order, so a slow spell of the machine does not always hit the same side
      for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]!();
      if ((i + 1) % 20 === 0) ctx.log(`fleet-target: ${i + 1}/${count} files each`);
    }

    const mid = (rows: FileCost[], pick: (r: FileCost) => number) => median(rows.map(pick));
    const phase = (rows: FileCost[], k: 0 | 1 | 2) => ms(mid(rows, (r) => r.phases![k]));
    const floorCpu = mid(floor, (r) => r.cpuMs);
    const duckmigCpu = mid(duckmig, (r) => r.cpuMs);
    const scannedCpu = mid(duckmigScanned, (r) => r.cpuMs);
    const ledgerCpu = mid(ledgerFloor, (r) => r.cpuMs);
    const share = (part: number) => `${((part / (scannedCpu - floorCpu)) * 100).toFixed(0)} %`;
    const over = (cpu: number) => `+${(((cpu - floorCpu) / floorCpu) * 100).toFixed(0)} %`;
    return {
      tables: [
        {
          title: `one target file, ${Object.keys(TARGET_MIGRATIONS).length} migrations, ${count} files a side, in rotating order, median per file`,
          columns: ['variant', 'wall', 'CPU', 'CPU vs floor', 'open', 'run', 'close'],
          rows: [
            ['floor: node-api, its ledger, 1 tx per migration, CHECKPOINT, close', ms(mid(floor, (r) => r.wallMs)), ms(floorCpu), '1.00×', '–', '–', '–'],
            ["floor storing duckmig's records: its two tables, a fenced run row, its ledger rows (node-api, by hand)", ms(mid(ledgerFloor, (r) => r.wallMs)), ms(ledgerCpu), ratio(ledgerCpu, floorCpu), '–', '–', '–'],
            ['duckmig on a file no check has seen: openTarget, runner.run with a fence and its drift check, close', ms(mid(duckmig, (r) => r.wallMs)), ms(duckmigCpu), ratio(duckmigCpu, floorCpu), phase(duckmig, 0), phase(duckmig, 1), phase(duckmig, 2)],
            ['duckmig on a file a scan found clean (the scan untimed): the same job, its drift check kept', ms(mid(duckmigScanned, (r) => r.wallMs)), ms(scannedCpu), ratio(scannedCpu, floorCpu), phase(duckmigScanned, 0), phase(duckmigScanned, 1), phase(duckmigScanned, 2)],
          ],
          footnotes: [
            'CPU: this process\'s user + system time around each file (DuckDB\'s threads included; `threads` 1 on every side). Files are copies of one empty database, on the temp directory\'s disk.',
            'No Redis, no queue, no logging: the difference is what duckmig writes and reads in the file (sandboxed open, ledger and run history, fence claim, run record) and the runner itself.',
          ],
        },
      ],
      goals: [],
      notes: [
        `median CPU per file: floor ${floorCpu.toFixed(1)} ms, duckmig ${duckmigCpu.toFixed(1)} ms (${over(duckmigCpu)}) on a file no check has seen, ${scannedCpu.toFixed(1)} ms (${over(scannedCpu)}) on a file a scan found clean`,
        `the drift check's catalog read: ${(duckmigCpu - scannedCpu).toFixed(1)} ms a file`,
        `of duckmig's ${(scannedCpu - floorCpu).toFixed(1)} ms over the floor on a scanned file, storing its records takes ${(ledgerCpu - floorCpu).toFixed(1)} ms (${share(ledgerCpu - floorCpu)}), the rest (sandboxed open, ledger catalog read, fence, runner) ${(scannedCpu - ledgerCpu).toFixed(1)} ms (${share(scannedCpu - ledgerCpu)})`,
      ],
    };
  },
};
