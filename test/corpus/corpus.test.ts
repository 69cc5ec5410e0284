// Specification on public material nobody here wrote: migration sets made from DuckDB's own
// sqllogictests and from public projects' DuckDB migrations (each folder names its source).
// For every set the ground truth is computed here with DuckDB alone (each file in its own
// committed transaction, statement by statement, the first failure stops), and duckmig must
// agree with it: run outcome, which files were applied, the failing file and line, the final
// schema, and the rehearsal's prediction. Every lint warning that claims DuckDB will refuse
// a statement must name a statement DuckDB really refuses (precision 100%).
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult, ValidationProblem } from '../../contract/index.js';
import { Database, FileMigrationSource, LEDGER_TABLES, MigrationRunner, REFUSAL_CODES } from '../../worker/runner/index.js';
import { dumpSchema, groundTruth, type GroundTruth } from '../support/ground-truth.js';

const CORPUS = resolve(import.meta.dirname);
const sets = readdirSync(CORPUS)
  .filter((name) => name !== 'tools' && statSync(join(CORPUS, name)).isDirectory())
  .sort();

/** Real DuckDB files, on a RAM-backed file system when there is one: the sets commit often. */
const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
/** Lint's refusal claims over the whole corpus: [set, claim, true?] */
const claims: { set: string; warning: ValidationProblem; holds: boolean }[] = [];

interface Outcome {
  truth: GroundTruth;
  warnings: ValidationProblem[];
  rehearsal: RunResult;
  run: RunResult;
  schema: string[];
}

async function tryBoth(set: string): Promise<Outcome> {
  const dir = mkdtempSync(join(SCRATCH, `duckmig-corpus-${set}-`));
  try {
    const migrations = join(dir, 'migrations');
    cpSync(join(CORPUS, set), migrations, { recursive: true, filter: (src) => !src.endsWith('.md') });
    const source = new FileMigrationSource(migrations);
    const files = (await source.scan()).migrations.map((m) => ({ file: m.file, sql: m.sql }));
    const truth = await groundTruth(join(dir, 'truth.duckdb'), files);

    const db = await Database.open(join(dir, 'duckmig.duckdb'), { attempts: 1 });
    try {
      const runner = new MigrationRunner({ connection: db.connection, source, database: db });
      const warnings = (await runner.validate()).filter((p) => p.severity === 'warning');
      const rehearsal = await runner.dryRun({ rehearse: true });
      const run = await runner.run();
      const schema = await dumpSchema(db.connection, LEDGER_TABLES);
      return { truth, warnings, rehearsal, run, schema };
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const failedOf = (r: RunResult) => r.migrations.find((m) => m.status === 'failed');

/** One line per side, so a disagreement reads at a glance. */
function story({ truth, rehearsal, run }: Outcome): string {
  const f = truth.failure;
  const side = (r: RunResult) => {
    const failed = failedOf(r);
    return `${r.status}${failed ? ` at ${failed.file}:${failed.error?.line ?? '?'} (statement ${failed.error?.statementIndex ?? '?'}): ${failed.error?.message.split('\n')[0]}` : r.error ? `: ${r.error}` : ''}`;
  };
  return [
    `DuckDB: ${f ? `fails at ${f.file}:${f.line ?? f.stage} (statement ${f.statementIndex ?? '-'}): ${f.message}` : 'every file applies'}`,
    `duckmig run: ${side(run)}`,
    `duckmig rehearsal: ${side(rehearsal)}`,
  ].join('\n');
}

// sets run concurrently (vitest's maxConcurrency at a time): the work is mostly DuckDB's threads and I/O
describe.concurrent('public-material corpus: duckmig agrees with DuckDB', { timeout: 120_000 }, () => {
  for (const set of sets) {
    it(set, async () => {
      const outcome = await tryBoth(set);
      const { truth, warnings, rehearsal, run, schema } = outcome;
      const failure = truth.failure;
      const why = story(outcome);

      for (const w of warnings.filter((w) => REFUSAL_CODES.has(w.code))) {
        const holds = Boolean(failure && w.file === failure.file && (failure.line === undefined || w.line === failure.line) && w.message.includes(failure.message));
        claims.push({ set, warning: w, holds });
        expect(holds, `lint claims "${w.message}" but DuckDB ${failure ? `fails at ${failure.file}:${failure.line ?? 'COMMIT'}` : 'accepts every file'}`).toBe(true);
      }

      if (truth.unparsable) {
        // a file DuckDB cannot parse stops the whole batch before anything runs
        expect(run.status, why).toBe('invalid');
        expect(run.problems.some((p) => p.code === 'syntax-error' && p.file === truth.unparsable!.file), why).toBe(true);
        expect(rehearsal.status, why).toBe('invalid');
        expect(schema, why).toEqual([]);
        return;
      }

      expect(run.status, why).toBe(failure ? 'failed' : 'success');
      expect(run.migrations.filter((m) => m.status === 'applied').map((m) => m.file), why).toEqual(truth.applied);
      expect(schema, why).toEqual(truth.schema);
      expect(rehearsal.status, why).toBe(run.status);
      if (failure) {
        const failed = failedOf(run);
        expect(failed?.file, why).toBe(failure.file);
        expect(failedOf(rehearsal)?.file, why).toBe(failure.file);
        if (failure.stage === 'statement') {
          expect(failed?.error?.line, why).toBe(failure.line);
          expect(failed?.error?.statementIndex, why).toBe(failure.statementIndex);
          expect(failedOf(rehearsal)?.error?.line, why).toBe(failure.line);
        }
        expect(failed?.error?.message, why).toContain(failure.message);
      }
    });
  }
});

afterAll(() => {
  const held = claims.filter((c) => c.holds).length;
  console.log(`corpus: ${sets.length} sets; lint refusal warnings ${claims.length}, true ${held} (precision ${claims.length ? ((100 * held) / claims.length).toFixed(1) : '100.0'}%)`);
});
