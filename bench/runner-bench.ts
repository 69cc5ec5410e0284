// The runner benchmark: 1,000 generated migrations applied by duckmig, a plain @duckdb/node-api
// floor and peer tools, then crash trials; variants and goals: docs/benchmarks.md (runner).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crashTrials, type TrialSummary } from '../test/support/crash-trials.js';
import { Database, FileMigrationSource, MigrationRunner, describeCheckpointPolicy, DEFAULT_CHECKPOINT_BUDGET, type CheckpointPolicy } from '../core/index.js';
import { measure, median, settle, type BenchContext, type BenchReport, type Benchmark, type Goal } from './benchmark.js';
import { generateMigrations, type GeneratedMigration } from './generate.js';
import { kyselyMigrate } from './kysely-peer.js';
import { postgratorFiles, postgratorMigrate, umzugMigrate } from './migrator-peers.js';
import { PHASE_ROWS, attachPhases, emptyPhases, lap, medianPhases, phaseNow, type Phases } from './runner-phases.js';
import { mib, ms, percent, ratio, type Table } from './table.js';

const DEFAULT_COUNT = 1000;
const WARMUP_COUNT = 20;

type VariantId = 'a' | 'a′' | 'b' | 'w' | 'c' | 'e' | 'd' | 'd*' | 'u' | 'p';

interface VariantRun {
  applied: number;
  phases?: Phases;
  error?: string;
}

interface Variant {
  id: VariantId;
  label: string;
  /** applies every migration to the empty database file at `path` (timed) */
  apply(path: string, dir: string, migrations: GeneratedMigration[], extra: { postgratorDir: string }): Promise<Timed>;
}

interface Timed {
  ms: number;
  cpuMs: number;
  peakRssDeltaMiB: number;
  run: VariantRun;
}

/** Opens outside the timed section, times `work`, closes outside it too. */
async function timedOnInstance(path: string, work: (instance: DuckDBInstance, connection: DuckDBConnection) => Promise<VariantRun>): Promise<Timed> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const m = await measure(() => work(instance, connection));
    if (m.value.phases) m.value.phases.totalMs = m.ms;
    return { ms: m.ms, cpuMs: m.cpuMs, peakRssDeltaMiB: m.peakRssDeltaMiB, run: m.value };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const FLOOR_LEDGER = 'CREATE TABLE IF NOT EXISTS floor_ledger (version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)';

const nowTimestamp = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

/**
 * (a) The floor: what any tool must do at least. Reads the files, then per file BEGIN,
 * the file's SQL, a ledger INSERT, COMMIT; one CHECKPOINT at the end. No checksums, no
 * parse check, no timings. `perStatement` (a′) runs each statement as duckmig does
 * (extractStatements, then prepare + run each), to show what that design choice costs.
 */
function floor(id: VariantId, perStatement: boolean, label: string): Variant {
  return {
    id,
    label,
    apply: (path, dir, migrations) =>
      timedOnInstance(path, async (_instance, c) => {
        const phases = emptyPhases();
        let t = phaseNow();
        const texts = await Promise.all(migrations.map((m) => readFile(join(dir, m.file), 'utf8')));
        await c.run(FLOOR_LEDGER);
        t = lap(phases, 'analyzeMs', t);
        for (const [i, m] of migrations.entries()) {
          await c.run('BEGIN TRANSACTION');
          t = lap(phases, 'betweenMs', t);
          if (perStatement) {
            const extracted = await c.extractStatements(texts[i]!);
            t = lap(phases, 'extractMs', t);
            for (let s = 0; s < extracted.count; s++) {
              const prepared = await extracted.prepare(s);
              await prepared.run();
              prepared.destroySync();
            }
          } else {
            await c.run(texts[i]!); // one multi-statement query
          }
          t = lap(phases, 'statementsMs', t);
          await c.run('INSERT INTO floor_ledger VALUES (?, ?, CAST(? AS TIMESTAMP))', [i + 1, m.key, nowTimestamp()]);
          await c.run('COMMIT');
          t = lap(phases, 'ledgerCommitMs', t);
        }
        await c.run('CHECKPOINT');
        lap(phases, 'finishMs', t);
        return { applied: migrations.length, phases };
      }),
  };
}

/**
 * As `duckmig run` does it (cli/local.ts): the runner on Database.open's connection, with the
 * database's path (for the WAL budget). `statements`: a listener follows every statement, as
 * the worker and the CLI's progress view do (each statement its own DuckDB call); without
 * one, as `duckmig run --json`, each file runs at once.
 */
function duckmig(id: VariantId, checkpoint: CheckpointPolicy | undefined, label: string, statements = false): Variant {
  return {
    id,
    label,
    async apply(path, dir) {
      const db = await Database.open(path);
      try {
        const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(dir), database: db, ...(checkpoint && { checkpoint }) });
        const phases = attachPhases(runner, statements);
        const m = await measure(() => runner.run());
        const result = m.value;
        const applied = result.migrations.filter((r) => r.status === 'applied').length;
        return {
          ms: m.ms,
          cpuMs: m.cpuMs,
          peakRssDeltaMiB: m.peakRssDeltaMiB,
          run: { applied, phases: phases.done(m.ms), ...(result.status !== 'success' && { error: `${result.status}: ${result.error ?? ''}` }) },
        };
      } finally {
        await db.close();
      }
    },
  };
}

function kysely(id: VariantId, mode: 'as-shipped' | 'batch-transaction', label: string): Variant {
  return {
    id,
    label,
    apply: (path, dir, migrations) =>
      timedOnInstance(path, async (instance) => {
        const outcome = await kyselyMigrate(instance, dir, migrations, mode);
        return { applied: outcome.applied, ...(outcome.error && { error: outcome.error }) };
      }),
  };
}

function peer(id: VariantId, label: string, migrate: (instance: DuckDBInstance, dir: string, postgratorDir: string) => Promise<{ applied: number; error?: string }>): Variant {
  return {
    id,
    label,
    apply: (path, dir, _migrations, extra) =>
      timedOnInstance(path, async (instance) => {
        const outcome = await migrate(instance, dir, extra.postgratorDir);
        return { applied: outcome.applied, ...(outcome.error && { error: outcome.error }) };
      }),
  };
}

const VARIANTS: Variant[] = [
  floor('a', false, 'floor: @duckdb/node-api, 1 tx/file (1 multi-statement query) + ledger row'),
  floor('a′', true, 'floor, statement by statement (extract, prepare + run each)'),
  duckmig('b', undefined, `duckmig run as shipped (checkpoint ${describeCheckpointPolicy(DEFAULT_CHECKPOINT_BUDGET)} + at the end; its progress view or --json), each file at once`),
  duckmig('w', undefined, 'duckmig run followed statement by statement (as the worker runs it)', true),
  duckmig('c', 'each', "duckmig run --checkpoint each (after every migration)"),
  duckmig('e', 'end', 'duckmig run --checkpoint end'),
  kysely('d', 'as-shipped', 'Kysely Migrator + kysely-duckdb (as shipped: autocommit)'),
  kysely('d*', 'batch-transaction', 'Kysely Migrator, adapter with transactional DDL (1 tx/batch)'),
  peer('u', 'umzug 3, 1 tx/file, history row after it (autocommit)', (instance, dir) => umzugMigrate(instance, dir)),
  peer('p', 'postgrator 8 (pg dialect), script + history row, autocommit', (instance, _dir, postgratorDir) => postgratorMigrate(instance, postgratorDir)),
];

/** What each variant must leave behind: every table, index and added column. */
async function verify(path: string, migrations: GeneratedMigration[]): Promise<string | undefined> {
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  try {
    const row = (
      await c.runAndReadAll(`SELECT
        (SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 't\\_%' ESCAPE '\\'),
        (SELECT count(*) FROM duckdb_indexes() WHERE index_name LIKE 't\\_%\\_name\\_idx' ESCAPE '\\'),
        (SELECT count(*) FROM duckdb_columns() WHERE table_name LIKE 't\\_%' ESCAPE '\\' AND column_name = 'note')`)
    ).getRows()[0]!.map(Number);
    const n = migrations.length;
    if (!row.every((v) => v === n)) return `expected ${n} tables/indexes/columns, found ${row.join('/')}`;
    // duckmig also mirrors every version into the legacy schema_version table
    const legacy = await c.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'");
    if (Number(legacy.getRows()[0]![0]) === 0) return undefined;
    const mirrored = Number((await c.runAndReadAll('SELECT count(DISTINCT version) FROM schema_version')).getRows()[0]![0]);
    return mirrored === n ? undefined : `schema_version has ${mirrored} versions, expected ${n}`;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

interface Sample {
  variant: Variant;
  timed: Timed;
}

/** `--only a,b`: the floor (a) always runs, since every ratio is against it. (a′) may be typed a'. */
function selectVariants(only: string[] | undefined): Variant[] {
  if (!only) return VARIANTS;
  const ids = new Set(only.map((id) => id.replace("'", '′')));
  const unknown = [...ids].filter((id) => !VARIANTS.some((v) => v.id === id));
  if (unknown.length) throw new Error(`unknown runner variant(s) ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.id).join(', ')}`);
  return VARIANTS.filter((v) => v.id === 'a' || ids.has(v.id));
}

async function runAll(ctx: BenchContext, variants: Variant[], dir: string, migrations: GeneratedMigration[], reps: number, label: string): Promise<Sample[]> {
  const dbDir = await ctx.tempDir('runner-db');
  const extra = { postgratorDir: await postgratorFiles(dir, migrations, await ctx.tempDir('runner-postgrator')) };
  const samples: Sample[] = [];
  let file = 0;
  for (let rep = 1; rep <= reps; rep++) {
    // rotate the order each repetition, so no variant always runs right after the same one
    const order = variants.map((_, i) => variants[(i + rep - 1) % variants.length]!);
    for (const variant of order) {
      const path = join(dbDir, `${++file}-${variant.id.replace(/[^a-z]/g, 'x')}.duckdb`);
      await settle();
      const timed = await variant.apply(path, dir, migrations, extra);
      const problem = timed.run.error ?? (timed.run.applied !== migrations.length ? `applied ${timed.run.applied}/${migrations.length}` : await verify(path, migrations));
      if (problem) timed.run.error = problem;
      // 1,000 tiny tables make a ~770 MB file: keep one at a time on disk, not 18
      if (!ctx.options.keep) await Promise.all([rm(path, { force: true }), rm(`${path}.wal`, { force: true })]);
      samples.push({ variant, timed });
      ctx.log(`${label} rep ${rep}/${reps} (${variant.id}) ${ms(timed.ms)}${problem ? `  ERROR: ${problem}` : ''}`);
    }
  }
  return samples;
}

export const runnerBench: Benchmark = {
  name: 'runner',
  summary: '1,000 small migrations: floor vs duckmig (default budget / each / end) vs Kysely, umzug, postgrator; crash trials',
  async run(ctx): Promise<BenchReport> {
    const count = ctx.options.count ?? DEFAULT_COUNT;
    // `--only crash` (or a list with it) also runs the crash trials; without --only they always run
    const wantCrash = !ctx.options.only || ctx.options.only.includes('crash');
    const variants = selectVariants(ctx.options.only?.filter((id) => id !== 'crash'));
    const reps = Math.max(2, ctx.options.reps);
    const migDir = await ctx.tempDir('runner-migrations');
    const migrations = await generateMigrations(migDir, count);
    const statements = migrations.reduce((n, m) => n + m.statements, 0);
    ctx.log(`generated ${count} migrations (${statements} statements) in ${migDir}`);

    // warm-up: first use of DuckDB, kysely and the runner code in this process, untimed
    const warmDir = await ctx.tempDir('runner-warmup');
    await runAll(ctx, variants, warmDir, await generateMigrations(warmDir, WARMUP_COUNT), 1, 'warm-up');
    const samples = await runAll(ctx, variants, migDir, migrations, reps, 'runner');

    const by = new Map(variants.map((v) => [v.id, samples.filter((s) => s.variant.id === v.id)]));
    const has = (id: VariantId) => by.has(id);
    const med = (id: VariantId) => median((by.get(id) ?? []).map((s) => s.timed.ms));
    const floorMs = med('a');
    const floorCpu = median(by.get('a')!.map((s) => s.timed.cpuMs));
    const rows = variants.map((v) => {
      const runs = by.get(v.id)!;
      const wall = med(v.id);
      const errors = runs.map((s) => s.timed.run.error).filter(Boolean);
      return [
        `(${v.id})`,
        v.label,
        ms(wall),
        ms(wall / count, 2),
        ratio(wall, floorMs),
        ms(median(runs.map((s) => s.timed.cpuMs))),
        ratio(median(runs.map((s) => s.timed.cpuMs)), floorCpu),
        mib(median(runs.map((s) => s.timed.peakRssDeltaMiB))),
        runs.map((s) => (s.timed.ms / 1000).toFixed(2)).join(' / '),
        errors.length ? `FAILED: ${errors[0]}` : 'ok',
      ];
    });
    const main: Table = {
      title: `runner: ${count} migrations (${statements} statements), median of ${reps} runs, fresh file each`,
      columns: ['', 'variant', 'wall', 'per migration', 'vs (a)', 'CPU', 'CPU vs (a)', 'peak RSS Δ', 'runs (s)', 'check'],
      rows,
      footnotes: [
        'Timed: from an open, empty database to every migration committed and one final CHECKPOINT (open/close excluded). Reading the files is included for every variant.',
        'CPU: user+system time of the whole process (DuckDB threads included) over the same span; on a shared machine it moves less than wall time.',
        'peak RSS Δ: sampled every 10 ms against RSS at the start of the run; memory kept from earlier runs makes later ones read low.',
        'Size: 1,000 tiny tables make a ~770 MB file and ~1.6 GB of RSS in every variant (DuckDB gives each column segment and index its own blocks); each file is deleted after its check.',
      ],
    };

    const b = med('b');
    const cpu = (id: VariantId) => median((by.get(id) ?? []).map((s) => s.timed.cpuMs));
    const goals: Goal[] = [];
    if (has('b')) {
      goals.push({
        label: '(b) duckmig run as shipped ≤ 1.3× the floor (a)',
        met: b <= 1.3 * floorMs,
        detail: `${ms(b)} vs ${ms(floorMs)} = ${ratio(b, floorMs)} wall (CPU ${ratio(cpu('b'), floorCpu)})`,
      });
      for (const [id, name] of [['d', 'Kysely Migrator'], ['u', 'umzug'], ['p', 'postgrator']] as [VariantId, string][]) {
        if (!has(id)) continue;
        goals.push({
          label: `(b) faster than (${id}) ${name}`,
          met: b < med(id),
          detail: `${ms(b)} vs ${ms(med(id))} = ${ratio(b, med(id))} wall (CPU ${ratio(cpu('b'), cpu(id))})${id === 'd' && has('d*') ? `; vs (d*) 1-tx batch: ${ratio(b, med('d*'))}` : ''}`,
        });
      }
    }

    const tables = [main, phaseTable(by)];
    if (wantCrash) {
      const summaries: TrialSummary[] = [];
      for (const { policy, trials } of CRASH_TRIALS) {
        ctx.log(`crash trials: ${trials} × ${CRASH_MIGRATIONS} migrations, policy ${policy}, 2 in parallel`);
        summaries.push(await crashTrials({ count: CRASH_MIGRATIONS, trials, parallel: 2, policy }));
      }
      tables.push(crashTable(summaries));
      for (const s of summaries) {
        goals.push({
          label: `crash trials (${s.policy}): every file opens and ledger == schema`,
          met: s.openable === s.trials && s.ledgerMatchesSchema === s.trials,
          detail: `${s.trials} trials, ${s.openable} openable, ${s.ledgerMatchesSchema} ledger == schema${s.failures.length ? `; first failure: ${s.failures[0]}` : ''}`,
        });
      }
    }
    return {
      tables,
      goals,
      notes: [
        `(b) is the default: a CHECKPOINT when ${describeCheckpointPolicy(DEFAULT_CHECKPOINT_BUDGET)} has accumulated since the last one, and when the run ends; a crash leaves at most that much WAL, which Database.open replays (recovering the WAL DuckDB 1.5.6 cannot replay directly). (c) leaves no WAL behind and pays a CHECKPOINT per migration; (e) one CHECKPOINT at the end.`,
        "(d) kysely-duckdb 0.4's adapter declares supportsTransactionalDdl=false, so Kysely runs every statement in autocommit (a failed migration leaves its earlier statements applied); (d*) tells Kysely DuckDB's DDL is transactional, and Kysely then wraps the whole batch in one transaction. Neither has a per-file transaction, a checksum or a parse check.",
        ...(has('w')
          ? [
              `(w) is the same run with a listener for statement events (the worker has one, for the UI's live progress): every statement its own DuckDB call, timed and reported; ${ratio(med('w'), floorMs)} of the floor${has('u') ? `, ${ratio(med('w'), med('u'))} of umzug` : ''}${has('p') ? `, ${ratio(med('w'), med('p'))} of postgrator` : ''}. (b) has only a listener that declines them, as duckmig run's progress view (terminal bar or plain lines, fed by migration:progress samples) and --json do, so each file runs in one call with its BEGIN.`,
            ]
          : []),
        '(u) umzug has no transactions of its own: here each file runs in one, and its history row is written after the commit (a crash between them re-runs the file). (p) postgrator runs the script and then its history row, no transaction (a failing statement leaves the earlier ones applied); it checksums applied files (md5).',
      ],
    };
  },
};

const CRASH_MIGRATIONS = 200;
/** the default as shipped, and a tight budget whose frequent checkpoints get killed midway too */
const CRASH_TRIALS = [
  { policy: 'default', trials: 60 },
  { policy: '100ms', trials: 20 },
];

function crashTable(summaries: TrialSummary[]): Table {
  return {
    title: `crash trials: a child applying ${CRASH_MIGRATIONS} migrations killed (SIGKILL) at random moments, then Database.open and ledger vs schema`,
    columns: ['policy', 'trials', 'killed mid-run', 'resumed a killed run', 'WAL recovered on open', 'openable', 'ledger == schema', 'run length'],
    rows: summaries.map((s) => [s.policy, String(s.trials), String(s.killed), String(s.resumed), String(s.walRecovered), String(s.openable), String(s.ledgerMatchesSchema), ms(s.runMs)]),
    footnotes: [
      'Each lane first runs all migrations uninterrupted (its length sets the kill window), then each trial runs on the file the previous one left and is killed at a uniform random time within what the pending migrations take; a completed run starts the lane over on a fresh file.',
      'Migrations: a table with a DEFAULT current_timestamp column, rows, ADD COLUMN (DuckDB 1.5.6 cannot replay that WAL directly), and every 4th an index, ALTER and UPDATE of the previous table.',
    ],
  };
}

/** The floors' and duckmig's time per phase side by side, so a gap points at its cause. */
function phaseTable(by: Map<VariantId, Sample[]>): Table {
  const ids = (['a', 'a′', 'b', 'w', 'c', 'e'] as VariantId[]).filter((id) => by.has(id));
  const per = new Map(ids.map((id) => [id, medianPhases(by.get(id)!.map((s) => s.timed.run.phases).filter((p): p is Phases => p !== undefined))]));
  const a = per.get('a')!;
  const b = per.get('b') ?? medianPhases([]);
  const row = (phase: string, what: string, value: (p: Phases) => number) => [
    phase,
    what,
    ...ids.map((id) => ms(value(per.get(id)!))),
    ms(value(b) - value(a)),
    percent(value(b), b.totalMs),
  ];
  return {
    title: 'where the time goes: median per phase (duckmig from its events, floors timed inline)',
    columns: ['phase', 'what', ...ids.map((id) => `(${id})`), '(b) − (a)', 'share of (b)'],
    rows: [...PHASE_ROWS.map((r) => row(r.phase, r.what, (p) => p[r.key])), row('total', 'wall time', (p) => p.totalMs)],
  };
}
