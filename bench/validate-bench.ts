// The validate benchmark: `validate` over 10,000 generated files, next to the cost of each
// part alone; goal: docs/benchmarks.md (validate).
import { DuckDBInstance } from '@duckdb/node-api';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileMigrationSource, MigrationRunner, lintMigrations, type MigrationFile } from '../core/index.js';
import { parseCheck } from '../core/parse-check.js';
import { measure, median, type BenchReport, type Benchmark } from './benchmark.js';
import { generateMigrations } from './generate.js';
import { mib, ms, ratio, type Table } from './table.js';

const DEFAULT_FILES = 10_000;
const GOAL_MS = 2000;

interface Step {
  label: string;
  /** `scanned`: the files, scanned once before timing, for the steps that need them */
  run(dir: string, scanned: MigrationFile[]): Promise<string | undefined>;
}

async function readAll(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql'));
  for (let i = 0; i < names.length; i += 256) {
    await Promise.all(names.slice(i, i + 256).map((n) => readFile(join(dir, n))));
  }
  return undefined;
}

async function validateInMemory(dir: string): Promise<string | undefined> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const problems = await new MigrationRunner({ connection, source: new FileMigrationSource(dir) }).validate();
    const errors = problems.filter((p) => p.severity === 'error');
    return errors.length ? `${errors.length} errors, first: ${errors[0]!.message}` : undefined;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const STEPS: Step[] = [
  { label: 'I/O floor: readdir + read every file', run: readAll },
  {
    label: 'FileMigrationSource.scan(): read + SHA-256 + split',
    run: async (dir) => {
      const scan = await new FileMigrationSource(dir).scan();
      return scan.problems.length ? `${scan.problems.length} problems, first: ${scan.problems[0]!.message}` : undefined;
    },
  },
  {
    label: '  part: parseCheck() alone (extractStatements per file)',
    run: async (_dir, scanned) => {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        const errors = (await parseCheck(connection, scanned)).filter((p) => p.severity === 'error');
        return errors.length ? `${errors.length} errors` : undefined;
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    },
  },
  {
    label: '  part: lintMigrations() alone (experiment on an empty in-memory database)',
    run: async (_dir, scanned) => {
      const errors = (await lintMigrations(scanned)).filter((p) => p.severity === 'error');
      return errors.length ? `${errors.length} errors` : undefined;
    },
  },
  { label: 'runner.validate() on :memory: (scan + parse check + lint)', run: validateInMemory },
];
const VALIDATE = STEPS.at(-1)!;

export const validateBench: Benchmark = {
  name: 'validate',
  summary: 'validate over 10,000 generated files on an in-memory DuckDB (goal < 2 s)',
  async run(ctx): Promise<BenchReport> {
    const count = ctx.options.count ?? DEFAULT_FILES;
    const reps = Math.max(2, ctx.options.reps);
    const dir = await ctx.tempDir('validate-migrations');
    await generateMigrations(dir, count);
    ctx.log(`generated ${count} migration files in ${dir}`);
    await validateInMemory(dir); // warm-up: DuckDB, page cache, JIT
    const scanned = (await new FileMigrationSource(dir).scan()).migrations;

    const samples = new Map<Step, { ms: number; rss: number; error?: string }[]>(STEPS.map((s) => [s, []]));
    for (let rep = 1; rep <= reps; rep++) {
      for (const step of STEPS) {
        const m = await measure(() => step.run(dir, scanned));
        samples.get(step)!.push({ ms: m.ms, rss: m.peakRssDeltaMiB, ...(m.value && { error: m.value }) });
        ctx.log(`validate rep ${rep}/${reps} ${step.label}: ${ms(m.ms)}${m.value ? `  ERROR: ${m.value}` : ''}`);
      }
    }
    const floorMs = median(samples.get(STEPS[0]!)!.map((s) => s.ms));
    const rows = STEPS.map((step) => {
      const runs = samples.get(step)!;
      const wall = median(runs.map((r) => r.ms));
      const error = runs.find((r) => r.error)?.error;
      return [step.label, ms(wall), ms(wall / count, 3), ratio(wall, floorMs), mib(median(runs.map((r) => r.rss))), error ? `FAILED: ${error}` : 'ok'];
    });
    const table: Table = {
      title: `validate: ${count} files, median of ${reps} runs`,
      columns: ['step', 'wall', 'per file', 'vs read', 'peak RSS Δ', 'check'],
      rows,
    };
    const validateMs = median(samples.get(VALIDATE)!.map((s) => s.ms));
    return {
      tables: [table],
      goals: [{ label: `validate ${count} files < 2 s`, met: validateMs < GOAL_MS, detail: `${ms(validateMs)}` }],
      notes: [],
    };
  },
};
