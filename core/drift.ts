// Drift detection: the live database's schema compared with the schema its applied
// migrations produce, replayed on an empty in-memory database (schema-at.ts). duckmig's
// ledger and fleet fence, and the history tables of the tools `duckmig import` takes over
// are left out. The replay is kept for the applied files it was made from, so checking again
// after a job that applied nothing reads only the live catalog; checks that want the same
// replay at once share it. The replay re-executes every applied file, data included (a
// CREATE TABLE … AS over range(), a seed INSERT … SELECT), so after a run that started from
// a database without drift and applied its files, the owner records the live schema as what
// those files produce (`advance`) instead of replaying them all again. With a store
// (the worker keeps one in Redis), that expectation outlives the process: a worker that
// starts again over the same applied files reads it instead of replaying them. The report
// itself (driftReport) is shared with the fleet's checks, which keep one expected schema per
// applied list for every target of a worker (worker/fleet/target-drift.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { diffSchema, driftDifferences, sameApplied, schemaObjects, type AppliedFile, type DatabaseSchema, type DriftReport } from '../contract/index.js';
import { LEDGER_TABLES } from './ledger.js';
import { replaySchema, SchemaReplayError, type ReplayOptions } from './schema-at.js';
import { readDatabaseSchema } from './schema.js';
import { KEPT_AS } from './tool-history.js';

/** Tables no migration creates: duckmig's ledger and fleet fence, imported tools' version tables (kept after an import). */
const DRIFT_EXCLUDED: readonly string[] = [...LEDGER_TABLES, 'goose_db_version', 'flyway_schema_history', ...Object.values(KEPT_AS)].sort();

/** The live side of a drift check: the schema as drift compares it, and how long reading it took. */
export interface LiveSchemaRead {
  schema: DatabaseSchema;
  readMs: number;
}

/** Reads the live schema drift compares (a few catalog queries, no row counts). */
export async function readLiveSchema(connection: DuckDBConnection): Promise<LiveSchemaRead> {
  const started = performance.now();
  const schema = await readDatabaseSchema(connection, { exclude: DRIFT_EXCLUDED });
  return { schema, readMs: performance.now() - started };
}

/** The schema a list of applied files produces (in version order). */
export interface ExpectedSchema {
  applied: readonly AppliedFile[];
  schema: DatabaseSchema;
}

/**
 * Where the expected schema outlives the checker. `load` gives the last one saved (or
 * undefined); the checker uses it only for the very same applied files. A store that fails
 * costs a replay, never a check: errors are the store's to report, not to throw.
 */
export interface ExpectedSchemaStore {
  load(): Promise<ExpectedSchema | undefined>;
  save(expected: ExpectedSchema): Promise<void>;
}

/**
 * The report of a live schema against what `expected` says `applied` produces; a replay that
 * cannot be made (SchemaReplayError) is the report's error: drift unknown, not absent. Shared
 * by DriftChecker and the checkers of many databases migrated from one folder (a fleet's).
 */
export async function driftReport(
  live: LiveSchemaRead,
  applied: readonly AppliedFile[],
  expected: (applied: readonly AppliedFile[]) => Promise<DatabaseSchema>,
): Promise<DriftReport> {
  const started = performance.now();
  const report = (fields: Pick<DriftReport, 'differences' | 'error'>): DriftReport => ({
    checkedAt: new Date().toISOString(),
    version: applied.at(-1)?.version ?? 0,
    drifted: fields.differences.length > 0,
    ...fields,
    durationMs: Math.round(live.readMs + performance.now() - started),
  });
  let schema: DatabaseSchema;
  try {
    schema = await expected(applied);
  } catch (err) {
    if (!(err instanceof SchemaReplayError)) throw err;
    return report({ differences: [], error: err.message });
  }
  return report({ differences: driftDifferences(diffSchema(schemaObjects(schema), schemaObjects(live.schema))), error: null });
}

export class DriftChecker {
  readonly #replay: Omit<ReplayOptions, 'applied'>;
  #store: ExpectedSchemaStore | undefined;
  #expected: ExpectedSchema | undefined;
  /** the replay in progress, shared by the checks that want it */
  #replaying: { applied: readonly AppliedFile[]; schema: Promise<DatabaseSchema> } | undefined;

  constructor(replay: Omit<ReplayOptions, 'applied'>) {
    this.#replay = replay;
  }

  /** Keeps the expectation in `store` from now on, and looks there before replaying. */
  keepIn(store: ExpectedSchemaStore): void {
    this.#store = store;
  }

  /** Compares the database on `connection` with the replay of `applied` (in version order). */
  async check(connection: DuckDBConnection, applied: readonly AppliedFile[]): Promise<DriftReport> {
    return this.compare(await readLiveSchema(connection), applied);
  }

  /**
   * Compares a live schema read earlier (readLiveSchema) with the replay of `applied`; the
   * replay needs no connection to the live database, so its owner may serve others meanwhile.
   */
  compare(live: LiveSchemaRead, applied: readonly AppliedFile[]): Promise<DriftReport> {
    return driftReport(live, applied, (files) => this.#expectedSchema(files));
  }

  /**
   * Records `live` as the schema `applied` produces, without a replay. Only for a live schema
   * read right after a run that found no drift against the files applied before it and then
   * applied the rest of `applied` itself, with nothing else touching the database between
   * the check and the read: the files' effect is then exactly the difference.
   */
  async advance(applied: readonly AppliedFile[], live: DatabaseSchema): Promise<void> {
    const expected = (this.#expected = { applied: [...applied], schema: live });
    // a replay still in progress must not put an older list back when it ends
    this.#replaying = undefined;
    await this.#store?.save(expected);
  }

  async #expectedSchema(applied: readonly AppliedFile[]): Promise<DatabaseSchema> {
    if (this.#expected && sameApplied(this.#expected.applied, applied)) return this.#expected.schema;
    if (this.#replaying && sameApplied(this.#replaying.applied, applied)) return this.#replaying.schema;
    const replaying = { applied: [...applied], schema: this.#storedOrReplayed([...applied]) };
    this.#replaying = replaying;
    try {
      const schema = await replaying.schema;
      // unless a newer replay or a run's live schema took its place meanwhile
      if (this.#replaying === replaying) this.#expected = { applied: replaying.applied, schema };
      return schema;
    } finally {
      if (this.#replaying === replaying) this.#replaying = undefined;
    }
  }

  /** The store's expectation for exactly these files, else their replay (which the store then keeps). */
  async #storedOrReplayed(applied: readonly AppliedFile[]): Promise<DatabaseSchema> {
    const store = this.#store;
    const stored = await store?.load();
    if (stored && sameApplied(stored.applied, applied)) return stored.schema;
    const schema = await replaySchema({ ...this.#replay, applied });
    await store?.save({ applied, schema });
    return schema;
  }
}
