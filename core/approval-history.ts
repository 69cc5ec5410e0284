// The approvals kept in the database, `schema_migration_approvals`: one row per run
// request that needed another admin's approval, with who asked and when, how it was decided
// (approved, rejected, withdrawn, expired), by whom, when, and the comment. The worker writes
// it when it takes up the request; the run's own row (run-history.ts) shares its run id.
// Created on first use, so databases that never used approvals do not get the table.
import type { ApprovalRecord } from '../contract/index.js';
import { fromDbTimestamp, toDbTimestamp } from './db-timestamp.js';
import type { Ledger } from './ledger.js';

export const APPROVALS_TABLE = 'schema_migration_approvals';

const APPROVALS_DDL = `CREATE TABLE IF NOT EXISTS ${APPROVALS_TABLE} (
    run_id       VARCHAR   NOT NULL,
    requested_by VARCHAR   NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    reason       VARCHAR,
    plan_id      VARCHAR,
    decision     VARCHAR   NOT NULL,
    decided_by   VARCHAR,
    decided_at   TIMESTAMP NOT NULL,
    comment      VARCHAR
)`;

export class ApprovalHistory {
  readonly #ledger: Ledger;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /** Records one request's decision (creating the table on first use). */
  async write(record: ApprovalRecord): Promise<void> {
    const { connection } = this.#ledger;
    if (!(await this.#ledger.has(APPROVALS_TABLE))) {
      await connection.run(APPROVALS_DDL);
      this.#ledger.created(APPROVALS_TABLE);
      // DDL goes to the data file at once rather than waiting in the WAL (as ledger.ts does)
      await connection.run('CHECKPOINT');
    }
    await connection.run(
      `INSERT INTO ${APPROVALS_TABLE} (run_id, requested_by, requested_at, reason, plan_id, decision, decided_by, decided_at, comment)
       VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?)`,
      [
        record.runId,
        record.requestedBy,
        toDbTimestamp(record.requestedAt),
        record.reason,
        record.plan,
        record.decision,
        record.decidedBy,
        toDbTimestamp(record.decidedAt),
        record.comment,
      ],
    );
  }

  /** The most recent decisions first. */
  async list(limit = 100): Promise<ApprovalRecord[]> {
    if (!(await this.#ledger.has(APPROVALS_TABLE))) return [];
    const reader = await this.#ledger.connection.runAndReadAll(
      `SELECT run_id, requested_by, CAST(requested_at AS VARCHAR) AS requested_at, reason, plan_id, decision, decided_by,
              CAST(decided_at AS VARCHAR) AS decided_at, comment
         FROM ${APPROVALS_TABLE} ORDER BY decided_at DESC, rowid DESC LIMIT ?`,
      [limit],
    );
    return reader.getRowObjectsJS().map((r) => ({
      runId: String(r.run_id),
      requestedBy: String(r.requested_by),
      requestedAt: fromDbTimestamp(r.requested_at),
      reason: (r.reason as string | null) ?? null,
      plan: (r.plan_id as string | null) ?? null,
      decision: String(r.decision) as ApprovalRecord['decision'],
      decidedBy: (r.decided_by as string | null) ?? null,
      decidedAt: fromDbTimestamp(r.decided_at),
      comment: (r.comment as string | null) ?? null,
    }));
  }
}
