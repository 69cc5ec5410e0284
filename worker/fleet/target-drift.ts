// The fleet's drift checks. Every target of a worker is migrated from the same folder, so the
// schema a list of applied files (versions and checksums) produces is the same for every
// target at that list: ExpectedSchemas makes it once per distinct list per worker (a replay on
// an empty in-memory DuckDB, shared by the checks that want it at once, or learnt from a
// target's run that started without drift) and each target's live catalog is compared with
// it. Scans and target jobs read a file's catalog again only when the file changed since its
// last check (DriftFindings: the file's and its WAL's stat). What a target's state says about its drift
// (health `drifted`, how many differences, the first few named) is made here too.
import { statSync } from 'node:fs';
import { describeDifference, type AppliedFile, type DatabaseSchema, type DriftReport, type TargetState } from '../../contract/index.js';
import { driftReport, replaySchema, SchemaReplayError, type LiveSchemaRead } from '../../core/index.js';
import type { MigrationSource } from '../../core/source.js';

/** The migration files a check is made with: their id (migrationsIdOf) and a source listing exactly them. */
export interface MigrationFiles {
  migrationsId: string;
  source: MigrationSource;
}

export type TargetDrift = NonNullable<TargetState['drift']>;

/**
 * What a drift check said about a target: drifted (the summary its state carries), not
 * drifted (null), or nothing known (undefined: not checked, or the replay could not be made).
 */
export type DriftFinding = TargetDrift | null | undefined;

/** How many differences a target's state names. */
const NAMED = 3;

/** A report as a target's state carries it. */
export function findingOf(report: DriftReport): DriftFinding {
  if (report.error !== null) return undefined;
  if (!report.drifted) return null;
  return { differences: report.differences.length, first: report.differences.slice(0, NAMED).map((d) => describeDifference(d).slice(0, 300)), checkedAt: report.checkedAt };
}

/** How many distinct applied lists keep their expected schema (the least recently used goes first). */
const KEPT_LISTS = 32;

type Expected = { schema: DatabaseSchema } | { error: string; migrationsId: string };
interface Entry {
  made: Promise<Expected>;
  done?: Expected;
}

const keyOf = (applied: readonly AppliedFile[]) => applied.map((f) => `${f.version}:${f.checksum}`).join(',');

export interface ExpectedSchemasOptions {
  allowedPaths?: readonly string[];
  secrets?: () => readonly string[];
}

/**
 * The schema each applied list produces, for every target of one worker. A replay that
 * cannot be made (an applied file gone or changed) is kept as such for the migration files
 * it was tried with, so a broken folder costs one attempt per list, not one per target.
 */
export class ExpectedSchemas {
  readonly #lists = new Map<string, Entry>();

  constructor(private readonly options: ExpectedSchemasOptions = {}) {}

  /** The report of a target's live schema against what its applied list produces. */
  compare(live: LiveSchemaRead, applied: readonly AppliedFile[], files: MigrationFiles): Promise<DriftReport> {
    return driftReport(live, applied, (list) => this.#expected(list, files));
  }

  /**
   * Records `schema` as what `applied` produces, unless a replay or an earlier run already
   * says. Only for a schema read right after a run that found no drift against the files
   * applied before it and applied the rest itself (as DriftChecker.advance).
   */
  learn(applied: readonly AppliedFile[], schema: DatabaseSchema): void {
    if (this.knows(applied)) return;
    const expected = { schema };
    this.#keep(keyOf(applied), { made: Promise.resolve(expected), done: expected });
  }

  /** Whether the schema `applied` produces is known (made, or being made), so `learn` would change nothing. */
  knows(applied: readonly AppliedFile[]): boolean {
    const known = this.#lists.get(keyOf(applied));
    return known !== undefined && !(known.done && 'error' in known.done);
  }

  async #expected(applied: readonly AppliedFile[], files: MigrationFiles): Promise<DatabaseSchema> {
    const key = keyOf(applied);
    let entry = this.#lists.get(key);
    // a replay that failed with other files is tried again with these
    if (entry?.done && 'error' in entry.done && entry.done.migrationsId !== files.migrationsId) entry = undefined;
    if (entry) this.#keep(key, entry);
    else entry = this.#replay(key, applied, files);
    const expected = await entry.made;
    if ('error' in expected) throw new SchemaReplayError(expected.error);
    return expected.schema;
  }

  #replay(key: string, applied: readonly AppliedFile[], files: MigrationFiles): Entry {
    const { allowedPaths, secrets } = this.options;
    const entry: Entry = {
      made: replaySchema({ source: files.source, applied: [...applied], allowedPaths, secrets }).then(
        (schema) => ({ schema }),
        (err: unknown) => {
          if (err instanceof SchemaReplayError) return { error: err.message, migrationsId: files.migrationsId };
          throw err;
        },
      ),
    };
    entry.made.then(
      (done) => (entry.done = done),
      // anything else (DuckDB could not open its in-memory database…) is not kept: the next check tries again
      () => this.#lists.get(key) === entry && this.#lists.delete(key),
    );
    this.#keep(key, entry);
    return entry;
  }

  /** Puts the entry last in line (most recently used), dropping the oldest beyond KEPT_LISTS. */
  #keep(key: string, entry: Entry): void {
    this.#lists.delete(key);
    this.#lists.set(key, entry);
    for (const oldest of this.#lists.keys()) {
      if (this.#lists.size <= KEPT_LISTS) break;
      this.#lists.delete(oldest);
    }
  }
}

/** A file as it is on disk now: its and its WAL's inode, size, modification and change times. */
export function fileSignature(file: string): string {
  return [file, `${file}.wal`]
    .map((path) => {
      try {
        const s = statSync(path, { bigint: true });
        return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

interface KeptFinding {
  signature: string;
  finding: DriftFinding;
  /** the migration files the finding was made with */
  migrationsId: string;
}

/**
 * What the last check (a scan's, or a target job's) found about each target's drift, with
 * the file as it was then. While the file is unchanged (every write, a hand-made change or a
 * run, changes its or its WAL's stat), its catalog is not read again: the finding stands (one
 * that could not be made only while the migration files are the same).
 */
export class DriftFindings {
  readonly #byTarget = new Map<string, KeptFinding>();

  /** The finding for a target whose file still has this signature; undefined when its catalog must be read. */
  known(id: string, signature: string, migrationsId: string): { finding: DriftFinding } | undefined {
    const kept = this.#byTarget.get(id);
    if (!kept || kept.signature !== signature) return undefined;
    if (kept.finding === undefined && kept.migrationsId !== migrationsId) return undefined;
    return { finding: kept.finding };
  }

  /** Keeps a finding with the signature the file had when its catalog was read (or, after a job, once it was closed unchanged). */
  remember(id: string, signature: string, finding: DriftFinding, migrationsId: string): void {
    this.#byTarget.set(id, { signature, finding, migrationsId });
  }

  forget(id: string): void {
    this.#byTarget.delete(id);
  }
}
