// One target job's drift checks (target-job.ts): before a run applies anything, and once the
// job's work is done, on the file the job holds open. What a check found (a scan's, or an
// earlier job's: DriftFindings, by the file's and its WAL's stat) stands while the file is as
// that check saw it when the job opens it, and while the job applies nothing: its catalog is
// not read again. What the job finds is kept for the next check, with the file as the job
// leaves it. Counts the catalog reads it made, for the job's log.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AppliedFile, DriftReport, RunResult } from '../../contract/index.js';
import { readDriftSchema, type Database } from '../../core/index.js';
import type { MigrationRunner } from '../../core/runner.js';
import { fileSignature, findingOf, type DriftFinding, type DriftFindings, type ExpectedSchemas, type MigrationFiles } from './target-drift.js';
import type { Target } from './targets.js';

export interface WorkerDrift {
  expectedSchemas: ExpectedSchemas;
  findings: DriftFindings;
}

export class JobDrift {
  #catalogsRead = 0;
  #cleanBefore = false;
  /** the applied files the check before applying was made with */
  #appliedBefore: readonly AppliedFile[] = [];
  /** what is known of the target's drift now (undefined: nothing) */
  #finding: DriftFinding;

  /** Made once the file is open: from then on the job's DuckDB lock keeps every other writer out until it closes the file. */
  constructor(
    private readonly worker: WorkerDrift,
    private readonly target: Target,
    private readonly files: MigrationFiles,
  ) {
    this.#finding = worker.findings.known(target.id, fileSignature(target.file), files.migrationsId)?.finding;
  }

  /** How many times this job read the target's catalog. */
  get catalogsRead(): number {
    return this.#catalogsRead;
  }

  /**
   * The check before a run applies anything (the runner's driftCheck): the target's drift
   * against its applied files, from its catalog unless a clean finding stood for the file as
   * the job opened it (what the job wrote since, its fence's claim, is none of the schema). A
   * drifted finding is read again, for the whole report the refusal names.
   */
  readonly before = async (connection: DuckDBConnection, applied: readonly AppliedFile[]): Promise<DriftReport> => {
    const report =
      this.#finding === null
        ? { checkedAt: new Date().toISOString(), version: applied.at(-1)?.version ?? 0, drifted: false, differences: [], error: null, durationMs: 0 }
        : await this.#compare(connection, applied);
    this.#cleanBefore = !report.drifted && report.error === null;
    this.#appliedBefore = applied;
    return report;
  };

  /**
   * The target's drift once the job's work is done (`ran`: the run's result, if it ran). After
   * a run that found no drift before applying and applied everything, the schema it left is
   * what the new applied list produces, as DriftChecker.advance has it for the single
   * database: learnt for every target of the worker when not known yet (no replay), and no
   * drift here by construction. A job that tried no migration keeps what was known.
   * Otherwise the catalog is compared. Throws when the check could not be made.
   */
  async after(runner: MigrationRunner, connection: DuckDBConnection, ran: RunResult | undefined): Promise<DriftFinding> {
    // a migration tried and failed rolled back with its transaction; read all the same
    const tried = ran?.migrations.some((m) => m.status !== 'not-run' && m.status !== 'skipped') ?? false;
    if (!tried && this.#finding !== undefined) return this.#finding;
    if (ran?.status === 'success' && this.#cleanBefore) {
      // what the ledger now lists: the files applied before, and the run's (no second read of the ledger)
      const done = ran.migrations.filter((m) => m.status === 'applied').map(({ version, checksum }) => ({ version, checksum }));
      const applied = [...this.#appliedBefore, ...done].sort((a, b) => a.version - b.version);
      const { expectedSchemas } = this.worker;
      if (!expectedSchemas.knows(applied)) expectedSchemas.learn(applied, (await this.#read(connection)).schema);
      return (this.#finding = null);
    }
    return (this.#finding = findingOf(await this.#compare(connection, await runner.getAppliedFiles())));
  }

  /**
   * The file's signature as the job leaves it, taken while the job still holds it: what is
   * in its WAL (the fence's claim of a job with nothing to apply) is checkpointed first, as
   * closing does, so closing changes nothing more. Null when that checkpoint failed.
   */
  async closing(db: Database): Promise<string | null> {
    return (await db.checkpointWal()) ? fileSignature(this.target.file) : null;
  }

  /**
   * Keeps what the job found for the file as it was when closing, if closing changed nothing:
   * a write made by someone else once the lock was gone changes the stat, and is not taken
   * for the job's.
   */
  closed(closing: string | null): void {
    if (closing !== null && this.#finding !== undefined && fileSignature(this.target.file) === closing) {
      this.worker.findings.remember(this.target.id, closing, this.#finding, this.files.migrationsId);
    }
  }

  async #compare(connection: DuckDBConnection, applied: readonly AppliedFile[]): Promise<DriftReport> {
    const report = await this.worker.expectedSchemas.compare(await this.#read(connection), applied, this.files);
    this.#finding = findingOf(report);
    return report;
  }

  #read(connection: DuckDBConnection) {
    this.#catalogsRead++;
    return readDriftSchema(connection);
  }
}
