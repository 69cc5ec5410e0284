// `npm run bench -- rehearsal`: what a rehearsal (dry-run on a copy of the database, one
// committed transaction per file) costs next to the run it predicts, on the 4 shipped
// migrations and on a database of ~100 MB (--count sets its size in MiB) with one pending
// ADD COLUMN: plan-only dry-run, rehearsal and real run, median of --reps fresh databases.
import { cpSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Database, FileMigrationSource, MigrationRunner } from '../core/index.js';
import { measure, median, type Benchmark } from './benchmark.js';
import { mib, ms, ratio } from './table.js';

const MIGRATIONS = resolve(import.meta.dirname, '../migrations/duckdb');
/** rows of the filler table per MiB of database (measured: 3M rows ≈ 100 MiB) */
const ROWS_PER_MIB = 30_000;

interface Case {
  label: string;
  /** MiB of filler data; 0 = only the shipped migrations, all pending */
  fillerMiB: number;
}

export const rehearsalBench: Benchmark = {
  name: 'rehearsal',
  summary: 'rehearsal on a copy vs the run it predicts: 4 shipped migrations, ~100 MB database',
  async run(ctx) {
    const cases: Case[] = [
      { label: '4 shipped migrations, empty database', fillerMiB: 0 },
      { label: 'one ADD COLUMN on a database of ~N MiB', fillerMiB: ctx.options.count ?? 100 },
    ];
    const rows: string[][] = [];
    for (const c of cases) {
      const plan: number[] = [];
      const rehearse: number[] = [];
      const run: number[] = [];
      let size = 0;
      for (let rep = 0; rep < ctx.options.reps; rep++) {
        const dir = await ctx.tempDir('rehearsal');
        cpSync(MIGRATIONS, join(dir, 'migrations'), { recursive: true });
        const db = await Database.open(join(dir, 'bench.duckdb'));
        try {
          const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(join(dir, 'migrations')), database: db });
          if (c.fillerMiB > 0) {
            await runner.run();
            await db.connection.run(
              `CREATE TABLE filler AS SELECT range AS id, md5(range::VARCHAR) AS a, md5((range * 7)::VARCHAR) AS b, range * 1.5 AS c FROM range(${c.fillerMiB * ROWS_PER_MIB})`,
            );
            await db.connection.run('CHECKPOINT');
            writeFileSync(join(dir, 'migrations', '005_archived.sql'), 'ALTER TABLE projects ADD COLUMN IF NOT EXISTS archived BOOLEAN;\n');
          }
          size = statSync(join(dir, 'bench.duckdb')).size;
          ctx.log(`${c.label}: rep ${rep + 1}/${ctx.options.reps}`);
          plan.push((await measure(() => runner.dryRun())).ms);
          const rehearsal = await measure(() => runner.dryRun({ rehearse: true }));
          if (rehearsal.value.status !== 'success') throw new Error(`rehearsal ${rehearsal.value.status}: ${rehearsal.value.error}`);
          rehearse.push(rehearsal.ms);
          const real = await measure(() => runner.run());
          if (real.value.status !== 'success') throw new Error(`run ${real.value.status}: ${real.value.error}`);
          run.push(real.ms);
        } finally {
          await db.close();
        }
      }
      rows.push([c.label.replace('~N', `~${c.fillerMiB}`), mib(size / 1048576), ms(median(plan)), ms(median(rehearse)), ms(median(run)), ratio(median(rehearse), median(run))]);
    }
    return {
      tables: [{ title: 'Rehearsal vs run (median ms)', columns: ['case', 'database', 'plan only', 'rehearsal', 'run', 'rehearsal / run'], rows }],
      goals: [],
      notes: [
        'The rehearsal executes the batch on a copy of the file (cp in a child process, opened as its own DuckDB instance, deleted afterwards): its cost beyond the run is the copy and the open.',
      ],
    };
  },
};
