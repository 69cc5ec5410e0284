// Specification on migration sets: duckmig must tell the truth about what DuckDB does with
// them. Our own sets live in test/corpus/sets/ (each README says which DuckDB behaviour it
// exercises); more material can be pointed at with DUCKMIG_CORPUS_DIR: folders of
// migration files, or sqllogictest `.test` files
// converted into sets at run time (tools/sqllogictest.ts).
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
import { Database, FileMigrationSource, LEDGER_TABLES, MigrationRunner, REFUSAL_CODES } from '../../core/index.js';
import { dumpSchema, groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { externalSets, type CorpusSet } from './tools/external-sets.js';

const OWN = resolve(import.meta.dirname, 'sets');
const ownSets: CorpusSet[] = readdirSync(OWN)
  .filter((name) => statSync(join(OWN, name)).isDirectory())
  .sort()
  .map((name) => ({ name, dir: join(OWN, name) }));

/** Material from outside the repository, when there is some: never committed here. */
function externalRoot(): string | undefined {
  const configured = process.env.DUCKMIG_CORPUS_DIR;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`DUCKMIG_CORPUS_DIR=${configured} does not exist`);
    return resolve(configured);
  }
  return undefined;
}
const EXTERNAL = externalRoot();
const conversions = EXTERNAL ? mkdtempSync(join(tmpdir(), 'duckmig-corpus-converted-')) : undefined;
const external = EXTERNAL ? externalSets(EXTERNAL, conversions!) : [];

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

async function tryBoth(set: CorpusSet): Promise<Outcome> {
  const dir = mkdtempSync(join(SCRATCH, 'duckmig-corpus-'));
  try {
    const migrations = join(dir, 'migrations');
    cpSync(set.dir, migrations, { recursive: true, filter: (src) => !src.endsWith('.md') });
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

/** duckmig's run, rehearsal and lint against DuckDB alone, on one set. */
async function agreesWithDuckDB(set: CorpusSet): Promise<void> {
  const outcome = await tryBoth(set);
  const { truth, warnings, rehearsal, run, schema } = outcome;
  const failure = truth.failure;
  const why = story(outcome);

  for (const w of warnings.filter((w) => REFUSAL_CODES.has(w.code))) {
    const holds = Boolean(failure && w.file === failure.file && (failure.line === undefined || w.line === failure.line) && w.message.includes(failure.message));
    claims.push({ set: set.name, warning: w, holds });
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
}

// sets run concurrently (vitest's maxConcurrency at a time): the work is mostly DuckDB's threads and I/O
describe.concurrent('our corpus: duckmig agrees with DuckDB', { timeout: 120_000 }, () => {
  for (const set of ownSets) it(set.name, () => agreesWithDuckDB(set));
});

if (EXTERNAL) {
  describe.concurrent(`external corpus (${EXTERNAL}): duckmig agrees with DuckDB`, { timeout: 120_000 }, () => {
    for (const set of external) it(set.name, () => agreesWithDuckDB(set));
  });
} else {
  console.log('corpus: no external material (set DUCKMIG_CORPUS_DIR to a folder of migration sets or sqllogictest files to add it)');
}

afterAll(() => {
  if (conversions) rmSync(conversions, { recursive: true, force: true });
  const held = claims.filter((c) => c.holds).length;
  console.log(`corpus: ${ownSets.length} own sets, ${external.length} external; lint refusal warnings ${claims.length}, true ${held} (precision ${claims.length ? ((100 * held) / claims.length).toFixed(1) : '100.0'}%)`);
});
