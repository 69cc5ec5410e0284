// The worker under operations: a graceful SIGTERM during a migration lets it finish and
// commit, exits 0 and leaves a file that opens directly; a second SIGTERM cancels the
// migration instead (rolled back); a Redis restart in the middle of a run does not lose or
// repeat anything (the run finishes, or fails visibly). One system for the file; each
// test adds the migration it runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusResponse, type LiveMessage } from '../../contract/index.js';
import { LEDGER_SQL, TABLES_SQL, queryFile } from '../support/duckdb-file.js';
import { call, finishedJob, openLive, runUntilFirstStatementDone, type LiveLog } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

/** A migration whose second statement keeps DuckDB busy for a few seconds. */
const mediumMigration = (table: string) => `CREATE TABLE ${table}_marker (id INTEGER);
CREATE TABLE ${table} AS SELECT count(*) AS n FROM range(300000000) t(i) WHERE hash(i) % 7 = 0;
CREATE TABLE ${table}_done (id INTEGER);
`;

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem({ migrations: initialSchemaOnly() });
});
afterAll(async () => {
  await sys?.stop();
});

const runUntilSecondStatement = (live: LiveLog, version: number): Promise<string> => runUntilFirstStatementDone(sys.url, sys.tokens.operator, live, version);

function appliedCounts(ledger: { version: number; status: string }[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const e of ledger) if (e.status === 'applied') counts.set(e.version, (counts.get(e.version) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]);
}

describe('the worker under operations', () => {
  it('SIGTERM during a migration lets it finish and commit, exits 0, and the file opens directly', async () => {
    writeFileSync(join(sys.migrationsDir, '002_backfill_totals.sql'), mediumMigration('totals'));
    const live = await openLive(sys.url, sys.tokens.viewer);
    try {
      const jobId = await runUntilSecondStatement(live, 2);
      await sys.worker.kill('SIGTERM'); // resolves when the process has exited
      expect(sys.worker.lastExit).toEqual({ code: 0, signal: null });
      const done = (await live.next((m) => (m.type === 'completed' || m.type === 'failed') && m.jobId === jobId)) as LiveMessage;
      expect(done.type).toBe('completed');
      expect(sys.worker.output()).toContain('"event":"database:closed"');
    } finally {
      live.close();
    }

    const [tables, ledger] = await queryFile(sys.dbPath, TABLES_SQL, LEDGER_SQL);
    expect(tables!.map((t) => String(t.table_name))).toEqual(expect.arrayContaining(['totals_marker', 'totals', 'totals_done']));
    expect(ledger!.map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    await sys.worker.restart();
  });

  it('a Redis restart in the middle of a run: the run finishes (or fails visibly) and nothing is applied twice', async () => {
    writeFileSync(join(sys.migrationsDir, '003_backfill_sums.sql'), mediumMigration('sums'));
    const live = await openLive(sys.url, sys.tokens.viewer);
    let jobId: string;
    try {
      jobId = await runUntilSecondStatement(live, 3);
    } finally {
      live.close(); // the API drops it anyway while Redis is away
    }
    await sys.redis.restart();
    const redisBack = Date.now();

    const job = await finishedJob(sys.url, sys.tokens.viewer, jobId);
    // the restart really happened in the middle of the run
    expect(Date.parse(job.finishedAt!)).toBeGreaterThan(redisBack);
    if (job.state === 'failed') expect(job.failedReason).toBeTruthy();
    else expect(job.result?.status).toBe('success');

    const s = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
    const ledger = s.snapshot!.status.ledger;
    expect(appliedCounts(ledger)).toEqual(job.state === 'completed' ? [[1, 1], [2, 1], [3, 1]] : [[1, 1], [2, 1]]);
    expect(s.worker.online).toBe(true);

    await sys.worker.kill('SIGTERM');
    const [tables, rows] = await queryFile(sys.dbPath, TABLES_SQL, LEDGER_SQL);
    const names = tables!.map((t) => String(t.table_name));
    // the schema agrees with the ledger: 003's tables exist exactly when it is recorded as applied
    const applied3 = rows!.some((r) => r.version === 3 && r.status === 'applied');
    expect(names.includes('sums') && names.includes('sums_done')).toBe(applied3);
    expect(appliedCounts(rows as { version: number; status: string }[])).toEqual(applied3 ? [[1, 1], [2, 1], [3, 1]] : [[1, 1], [2, 1]]);
  });

  it('a second SIGTERM cancels the migration in progress: rolled back, recorded as cancelled, exit 0', async () => {
    writeFileSync(
      join(sys.migrationsDir, '004_endless.sql'),
      'CREATE TABLE endless_marker (id INTEGER);\nCREATE TABLE endless AS SELECT count(*) AS n FROM range(100000000000) t(i) WHERE hash(i) % 7 = 0;\n',
    );
    await sys.worker.restart();
    const live = await openLive(sys.url, sys.tokens.viewer);
    let jobId: string;
    try {
      jobId = await runUntilSecondStatement(live, 4);
      const exited = sys.worker.exited();
      process.kill(sys.worker.pid!, 'SIGTERM');
      await sys.worker.waitForOutput('"event":"worker:closing"'); // the first signal is handled: send the second
      process.kill(sys.worker.pid!, 'SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      const failed = (await live.next((m) => m.type === 'failed' && m.jobId === jobId)) as Extract<LiveMessage, { type: 'failed' }>;
      expect(failed.failedReason).toMatch(/^run cancelled \(cancelled: the worker was asked twice to shut down\)/);
    } finally {
      live.close();
    }
    const [tables, ledger] = await queryFile(sys.dbPath, TABLES_SQL, LEDGER_SQL);
    expect(tables!.map((t) => String(t.table_name))).not.toContain('endless_marker');
    expect(ledger!.at(-1)).toMatchObject({ version: 4, status: 'cancelled', job_id: jobId });
  });
});
