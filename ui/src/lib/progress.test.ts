import { describe, expect, it } from 'vitest';
import {
  activityLabel,
  activityPercent,
  announce,
  applyJobView,
  applyLiveMessage,
  headline,
  isRestore,
  newRun,
  runningStatement,
  statementsDone,
  type RunProgress,
} from './progress.js';
import type { JobView, LiveMessage, MigrationResult, RunResult, RunnerEvent } from './types.js';

const JOB = '17';
const RUN = 'run-1';
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const migrations = [
  { version: 1, name: 'initial_schema', statements: 2 },
  { version: 2, name: 'add_project_context', statements: 2 },
];

function progressSequence(): LiveMessage[] {
  const events: [RunnerEvent, number][] = [
    [{ type: 'run:start', runId: RUN, mode: 'apply', migrations, totalStatements: 4 }, 0],
    [{ type: 'migration:start', runId: RUN, version: 1, name: 'initial_schema', index: 0, total: 2, statements: 2 }, 0],
    [{ type: 'statement:done', runId: RUN, version: 1, name: 'initial_schema', statementIndex: 0, statementCount: 2, line: 7, durationMs: 3, summary: 'CREATE TABLE a' }, 25],
    [{ type: 'statement:done', runId: RUN, version: 1, name: 'initial_schema', statementIndex: 1, statementCount: 2, line: 20, durationMs: 3, summary: 'CREATE TABLE b' }, 50],
    [{ type: 'migration:done', runId: RUN, version: 1, name: 'initial_schema', durationMs: 8 }, 50],
    [{ type: 'migration:start', runId: RUN, version: 2, name: 'add_project_context', index: 1, total: 2, statements: 2 }, 50],
    [{ type: 'statement:done', runId: RUN, version: 2, name: 'add_project_context', statementIndex: 0, statementCount: 2, line: 4, durationMs: 2, summary: 'ALTER TABLE projects' }, 75],
    [{ type: 'statement:done', runId: RUN, version: 2, name: 'add_project_context', statementIndex: 1, statementCount: 2, line: 5, durationMs: 2, summary: 'ALTER TABLE projects' }, 100],
    [{ type: 'migration:done', runId: RUN, version: 2, name: 'add_project_context', durationMs: 5 }, 100],
    [{ type: 'run:done', runId: RUN, mode: 'apply', status: 'success', durationMs: 20, applied: 2, failed: 0 }, 100],
  ];
  return events.map(([event, percent], seq) => ({ type: 'progress', jobId: JOB, progress: { seq, percent, at: at(seq), event } }));
}

const fold = (run: RunProgress, messages: LiveMessage[]) => messages.reduce((r, m) => applyLiveMessage(r, m, at(59)), run);

function result(status: RunResult['status'], results: MigrationResult[]): RunResult {
  return {
    runId: RUN,
    mode: 'apply',
    status,
    startedAt: at(0),
    finishedAt: at(9),
    durationMs: 20,
    fromVersion: 0,
    toVersion: 2,
    migrations: results,
    problems: [],
  };
}

describe('run progress from live messages', () => {
  it('follows a run from start to 100 % with each migration applied', () => {
    const messages = progressSequence();
    let run = newRun(JOB);
    run = fold(run, messages.slice(0, 3));
    expect(run.phase).toBe('active');
    expect(run.percent).toBe(25);
    expect(run.migrations.map((m) => m.phase)).toEqual(['running', 'pending']);
    expect(run.current).toMatchObject({ version: 1, index: 0, total: 2, statementIndex: 0, summary: 'CREATE TABLE a' });
    expect(announce(run)).toBe('Applying 001_initial_schema (1 of 2).');

    run = fold(run, messages.slice(3, 7));
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'running']);
    expect(run.migrations[0]).toMatchObject({ done: 2, durationMs: 8 });
    expect(statementsDone(run)).toBe(3);
    expect(run.percent).toBe(75);

    run = fold(run, messages.slice(7));
    expect(run.outcome).toBe('success');
    expect(run.percent).toBe(100);
    expect(run.current).toBeNull();
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'applied']);

    run = applyLiveMessage(run, { type: 'completed', jobId: JOB, result: null, errorCode: null }, at(10));
    expect(run.phase).toBe('finished');
    expect(run.percent).toBe(100);
    expect(announce(run)).toBe('Run succeeded: 2 of 2 migrations applied.');
  });

  it('ignores duplicates and replays (seq at or below the last one) and other jobs', () => {
    const messages = progressSequence();
    const once = fold(newRun(JOB), messages.slice(0, 6));
    const replayed = fold(once, messages.slice(0, 6));
    expect(fold(once, messages.slice(6).map((m) => ({ ...m, jobId: 'other' })))).toBe(once);
    expect(replayed).toBe(once);
  });

  it('never moves the bar backwards', () => {
    const [first, second] = progressSequence() as Extract<LiveMessage, { type: 'progress' }>[];
    let run = applyLiveMessage(newRun(JOB), { ...first!, progress: { ...first!.progress, percent: 40 } }, at(1));
    run = applyLiveMessage(run, { ...second!, progress: { ...second!.progress, percent: 10 } }, at(2));
    expect(run.percent).toBe(40);
  });

  it('infers earlier migrations as applied when their events were missed', () => {
    const messages = progressSequence();
    // only run:start, then straight to the second migration's first statement (seq 6)
    const run = fold(newRun(JOB), [messages[0]!, messages[6]!]);
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'running']);
    expect(run.current).toMatchObject({ version: 2, statementIndex: 0 });
  });

  it('marks the failed migration with its error and the rest as not run', () => {
    const three = [...migrations, { version: 3, name: 'add_runs_and_files', statements: 3 }];
    let run = newRun(JOB, three);
    const events: RunnerEvent[] = [
      { type: 'run:start', runId: RUN, mode: 'apply', migrations: three, totalStatements: 7 },
      { type: 'migration:start', runId: RUN, version: 1, name: 'initial_schema', index: 0, total: 3, statements: 2 },
      { type: 'migration:done', runId: RUN, version: 1, name: 'initial_schema', durationMs: 5 },
      { type: 'migration:start', runId: RUN, version: 2, name: 'add_project_context', index: 1, total: 3, statements: 2 },
      {
        type: 'migration:failed',
        runId: RUN,
        version: 2,
        name: 'add_project_context',
        durationMs: 3,
        cancelled: false,
        error: { message: 'Catalog Error: Table with name nope does not exist!', statementIndex: 1, line: 5, file: '002_add_project_context.sql' },
      },
      { type: 'run:done', runId: RUN, mode: 'apply', status: 'failed', durationMs: 9, applied: 1, failed: 1 },
    ];
    run = fold(
      run,
      events.map((event, seq) => ({ type: 'progress', jobId: JOB, progress: { seq, percent: [0, 10, 30, 30, 30, 30][seq]!, at: at(seq), event } })),
    );
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'failed', 'not-run']);
    expect(run.migrations[1]!.error).toMatchObject({ line: 5, statementIndex: 1 });
    expect(run.outcome).toBe('failed');
    expect(run.percent).toBe(30);
    expect(run.error).toMatch(/Catalog Error/);
    expect(announce(run)).toMatch(/^Run failed: Catalog Error/);
  });

  it('takes the job result as the authority when the job completes', () => {
    let run = fold(newRun(JOB), progressSequence().slice(0, 4));
    const res = result('failed', [
      { version: 1, name: 'initial_schema', file: '001_initial_schema.sql', checksum: 'a', status: 'applied', statements: 2, durationMs: 8 },
      {
        version: 2,
        name: 'add_project_context',
        file: '002_add_project_context.sql',
        checksum: 'b',
        status: 'failed',
        statements: 2,
        error: { message: 'boom', line: 5 },
        statementTimings: [{ index: 0, line: 4, durationMs: 1, sql: 'ALTER TABLE projects ADD COLUMN x INT' }],
      },
    ]);
    run = applyLiveMessage(run, { type: 'completed', jobId: JOB, result: res, errorCode: null }, at(9));
    expect(run.phase).toBe('finished');
    expect(run.outcome).toBe('failed'); // the job completed, the run failed
    expect(run.migrations.map((m) => [m.phase, m.done])).toEqual([
      ['applied', 2],
      ['failed', 1],
    ]);
    expect(run.error).toBe('boom');
    expect(run.percent).toBeLessThan(100);
  });

  it('reads the result carried by the failed message of a run that failed (the job ends as failed)', () => {
    const res = result('failed', [
      { version: 1, name: 'initial_schema', file: '001_initial_schema.sql', checksum: 'a', status: 'applied', statements: 2, durationMs: 8 },
      {
        version: 2,
        name: 'add_project_context',
        file: '002_add_project_context.sql',
        checksum: 'b',
        status: 'failed',
        statements: 2,
        error: { message: 'Catalog Error: no such table', line: 5, statementIndex: 1, file: '002_add_project_context.sql' },
      },
    ]);
    let run = fold(newRun(JOB, migrations), progressSequence().slice(0, 6));
    run = applyLiveMessage(
      run,
      {
        type: 'progress',
        jobId: JOB,
        progress: { seq: 6, percent: 50, at: at(6), event: { type: 'run:done', runId: RUN, mode: 'apply', status: 'failed', durationMs: 20, applied: 1, failed: 1 } },
      },
      at(6),
    );
    run = applyLiveMessage(run, { type: 'failed', jobId: JOB, result: res, errorCode: 'migration-failed', failedReason: 'Catalog Error: no such table' }, at(7));
    expect(run.phase).toBe('finished');
    expect(run.outcome).toBe('failed');
    expect(run.result).toBe(res);
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'failed']);
    expect(run.migrations[1]!.error).toMatchObject({ line: 5, statementIndex: 1 });
    expect(run.percent).toBe(50);
  });

  it('treats a failed job (worker threw, cancelled) as finished without success, cancelled by its error code', () => {
    let run = fold(newRun(JOB, migrations), progressSequence().slice(0, 3));
    run = applyLiveMessage(run, { type: 'failed', jobId: JOB, result: null, errorCode: 'cancelled', failedReason: 'job stopped by operator' }, at(5));
    expect(run.phase).toBe('finished');
    expect(run.outcome).toBe('cancelled');
    expect(run.migrations.map((m) => m.phase)).toEqual(['cancelled', 'not-run']);
  });

  it('rehearsals mark migrations as rehearsed', () => {
    const run = fold(newRun(JOB), [
      { type: 'progress', jobId: JOB, progress: { seq: 0, percent: 0, at: at(0), event: { type: 'run:start', runId: RUN, mode: 'rehearse', migrations, totalStatements: 4 } } },
      { type: 'progress', jobId: JOB, progress: { seq: 1, percent: 50, at: at(1), event: { type: 'migration:done', runId: RUN, version: 1, name: 'initial_schema', durationMs: 2 } } },
    ]);
    expect(run.migrations.map((m) => m.phase)).toEqual(['rehearsed', 'pending']);
  });
});

describe('run progress from a fetched job', () => {
  const job = (over: Partial<JobView>): JobView => ({
    id: JOB,
    kind: 'run',
    state: 'active',
    data: { kind: 'run', requestedBy: 'alice' },
    progress: null,
    result: null,
    errorCode: null,
    failedReason: null,
    logs: [],
    createdAt: at(0),
    startedAt: at(1),
    finishedAt: null,
    ...over,
  });

  it('catches up after a reconnect from the latest progress and the state', () => {
    const seq = progressSequence() as Extract<LiveMessage, { type: 'progress' }>[];
    let run = fold(newRun(JOB, migrations), seq.slice(0, 2));
    run = applyJobView(run, job({ progress: seq[6]!.progress }));
    expect(run.lastSeq).toBe(6);
    expect(run.percent).toBe(75);
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'running']);
    expect(run.startedAt).toBe(at(0));

    // live messages that arrive afterwards continue from there; older ones are dropped
    run = fold(run, seq.slice(5));
    expect(run.lastSeq).toBe(9);
    expect(run.outcome).toBe('success');
  });

  it('finishes from a completed job with its result', () => {
    const res = result('success', [
      { version: 1, name: 'initial_schema', file: '001_initial_schema.sql', checksum: 'a', status: 'applied', statements: 2 },
      { version: 2, name: 'add_project_context', file: '002_add_project_context.sql', checksum: 'b', status: 'applied', statements: 2 },
    ]);
    const run = applyJobView(newRun(JOB), job({ state: 'completed', result: res, finishedAt: at(9) }));
    expect(run.phase).toBe('finished');
    expect(run.percent).toBe(100);
    expect(run.kind).toBe('run');
    expect(run.finishedAt).toBe(at(9));
    expect(run.migrations.map((m) => m.phase)).toEqual(['applied', 'applied']);
  });

  it('keeps a waiting job waiting', () => {
    const run = applyJobView(newRun(JOB, migrations), job({ state: 'waiting', startedAt: null }));
    expect(run.phase).toBe('waiting');
    expect(announce(run)).toBe('Run is waiting for the worker.');
  });
});

describe('restore progress', () => {
  const point = { id: 'rp-20260101T120000000Z-abcdef', path: '/data/restore-points/rp.duckdb', sizeBytes: 1_572_864, checksum: 'f'.repeat(64), version: 0 };
  const restoreResult: RunResult = { ...result('success', []), mode: 'restore', fromVersion: 4, toVersion: 0, restorePoint: point };
  const restoreEvents = (): LiveMessage[] => [
    { type: 'active', jobId: JOB },
    { type: 'progress', jobId: JOB, progress: { seq: 0, percent: 0, at: at(0), event: { type: 'run:start', runId: RUN, mode: 'restore', migrations: [], totalStatements: 0 } } },
  ];

  it('says where a restore goes while it runs, and where it went once done', () => {
    let run = newRun(JOB, [], 'restore', point);
    expect(headline(run)).toBe('Restore waiting for the worker');
    expect(announce(run)).toBe('Restore is waiting for the worker.');

    run = fold(run, restoreEvents());
    expect(isRestore(run)).toBe(true);
    expect(run.migrations).toEqual([]);
    expect(headline(run)).toBe('Restoring to version 0…');
    expect(announce(run)).toBe('Restoring to version 0…');

    run = applyLiveMessage(run, { type: 'completed', jobId: JOB, result: restoreResult, errorCode: null }, at(3));
    expect(run.phase).toBe('finished');
    expect(run.percent).toBe(100);
    expect(run.restorePoint).toEqual(point);
    expect(headline(run)).toBe('Restored to version 0');
    expect(announce(run)).toBe('Restored to version 0.');
  });

  it('follows a restore started elsewhere: the kind and the version come from the job and its result', () => {
    let run = fold(newRun(JOB), restoreEvents());
    expect(headline(run)).toBe('Restoring the database…');
    const view: JobView = {
      id: JOB,
      kind: 'restore',
      state: 'completed',
      data: { kind: 'restore', requestedBy: 'ada', restorePointId: point.id },
      progress: null,
      result: restoreResult,
      errorCode: null,
      failedReason: null,
      logs: [],
      createdAt: at(0),
      startedAt: at(1),
      finishedAt: at(2),
    };
    run = applyJobView(run, view);
    expect(run.kind).toBe('restore');
    expect(headline(run)).toBe('Restored to version 0');
  });

  it('a refused restore ends as failed with the reason the worker gave', () => {
    let run = fold(newRun(JOB, [], 'restore', point), restoreEvents());
    const reason = 'restore refused, nothing was changed: restore point rp-x has a different checksum than its manifest; it may be damaged';
    run = applyLiveMessage(run, { type: 'failed', jobId: JOB, result: null, errorCode: 'restore-refused', failedReason: reason }, at(2));
    expect(headline(run)).toBe('Restore failed');
    expect(run.error).toBe(reason);
    expect(announce(run)).toBe(`Restore failed: ${reason}`);
  });
});

describe('what runs at this moment', () => {
  const big = [{ version: 5, name: 'big', statements: 2 }];
  const step = { runId: RUN, version: 5, name: 'big', statementCount: 2 };
  let seq = 0;
  const message = (event: RunnerEvent, second: number, percent = 0): LiveMessage => ({ type: 'progress', jobId: JOB, progress: { seq: seq++, percent, at: at(second), event } });
  const started = () => {
    seq = 0;
    return fold(newRun(JOB), [
      message({ type: 'run:start', runId: RUN, mode: 'apply', migrations: big, totalStatements: 2 }, 0),
      message({ type: 'migration:start', runId: RUN, version: 5, name: 'big', index: 0, total: 1, statements: 2 }, 0),
      message({ type: 'statement:start', ...step, statementIndex: 0, line: 1, summary: 'CREATE TABLE t2' }, 0),
      message({ type: 'statement:done', ...step, statementIndex: 0, line: 1, durationMs: 4, summary: 'CREATE TABLE t2' }, 0, 50),
      message({ type: 'statement:start', ...step, statementIndex: 1, line: 2, summary: 'INSERT INTO t2 SELECT' }, 1, 50),
    ]);
  };
  const ms = (second: number) => Date.parse(at(second));

  it('names the statement that is running, not the one that finished, with its elapsed time', () => {
    const run = started();
    expect(run.current).toMatchObject({ statementIndex: 1, summary: 'INSERT INTO t2 SELECT', line: 2 });
    expect(statementsDone(run)).toBe(1);
    expect(runningStatement(run, ms(4))).toEqual({ elapsedMs: 3000, percent: null, etaMs: null });
  });

  it('moves a percentage within the statement from DuckDB\'s samples, counting the time left down, and never back', () => {
    let run = started();
    run = fold(run, [message({ type: 'statement:progress', ...step, statementIndex: 1, percent: 40, rowsProcessed: 400, totalRows: 1000, elapsedMs: 2000, etaMs: 3000 }, 3, 70)]);
    expect(run.percent).toBe(70);
    expect(runningStatement(run, ms(4))).toEqual({ elapsedMs: 3000, percent: 40, etaMs: 2000 });
    expect(runningStatement(run, ms(9))?.etaMs).toBe(0);
    const later = fold(run, [message({ type: 'statement:progress', ...step, statementIndex: 1, percent: 80, rowsProcessed: 800, totalRows: 1000, elapsedMs: 4000, etaMs: 1000 }, 5, 90)]);
    expect(runningStatement(later, ms(5))?.percent).toBe(80);
    // a lower sample (out of order) and a sample for another statement change nothing
    const lower = fold(later, [message({ type: 'statement:progress', ...step, statementIndex: 1, percent: 60, rowsProcessed: 600, totalRows: 1000, elapsedMs: 4500 }, 5, 90)]);
    expect(runningStatement(lower, ms(5))?.percent).toBe(80);
    const other = fold(later, [message({ type: 'statement:progress', ...step, statementIndex: 0, percent: 95, rowsProcessed: 950, totalRows: 1000, elapsedMs: 4500 }, 5, 90)]);
    expect(runningStatement(other, ms(5))?.percent).toBe(80);
    // once it finished, nothing runs and the statement counts as done
    const done = fold(later, [message({ type: 'statement:done', ...step, statementIndex: 1, line: 2, durationMs: 5000, summary: 'INSERT INTO t2 SELECT' }, 6, 100)]);
    expect(runningStatement(done, ms(7))).toBeNull();
    expect(statementsDone(done)).toBe(2);
  });

  it('shows committing and checkpointing until the run\'s next step', () => {
    let run = fold(started(), [
      message({ type: 'statement:done', ...step, statementIndex: 1, line: 2, durationMs: 5000, summary: 'INSERT INTO t2 SELECT' }, 6, 100),
      message({ type: 'phase', runId: RUN, phase: 'committing', version: 5, name: 'big' }, 6, 100),
    ]);
    expect(run.activity).toMatchObject({ phase: 'committing', since: at(6) });
    expect(activityLabel(run.activity!)).toBe('committing…');
    run = fold(run, [message({ type: 'phase', runId: RUN, phase: 'checkpointing' }, 7, 100)]);
    expect(activityLabel(run.activity!)).toBe('checkpointing…');
    const next = fold(run, [message({ type: 'migration:done', runId: RUN, version: 5, name: 'big', durationMs: 7000 }, 9, 100)]);
    expect(next.activity).toBeNull();
    const ended = fold(run, [message({ type: 'run:done', runId: RUN, mode: 'apply', status: 'success', durationMs: 9000, applied: 1, failed: 0 }, 9, 100)]);
    expect(ended.activity).toBeNull();
  });

  it('a restore names its phase, with the size of the file it copies', () => {
    seq = 0;
    const run = fold(newRun(JOB, [], 'restore'), [
      message({ type: 'run:start', runId: RUN, mode: 'restore', migrations: [], totalStatements: 0 }, 0),
      message({ type: 'phase', runId: RUN, phase: 'copying', bytes: 3 * 1024 * 1024 }, 1),
    ]);
    expect(activityLabel(run.activity!)).toBe('copying the restore point (3.0 MiB)…');
  });

  it("a copy's bytes so far move its percent within the phase, which keeps the time it began", () => {
    seq = 0;
    const started = fold(newRun(JOB, [], 'restore'), [
      message({ type: 'run:start', runId: RUN, mode: 'restore', migrations: [], totalStatements: 0 }, 0),
      message({ type: 'phase', runId: RUN, phase: 'copying', bytes: 400 * 1024 * 1024 }, 1),
    ]);
    const since = started.activity!.since;
    const copying = fold(started, [message({ type: 'phase', runId: RUN, phase: 'copying', bytes: 400 * 1024 * 1024, bytesDone: 100 * 1024 * 1024 }, 2)]);
    expect(activityLabel(copying.activity!)).toBe('copying the restore point (25 % of 400 MiB)…');
    expect(activityPercent(copying.activity!)).toBe(25);
    expect(copying.activity!.since).toBe(since);
    const later = fold(copying, [message({ type: 'phase', runId: RUN, phase: 'copying', bytes: 400 * 1024 * 1024, bytesDone: 300 * 1024 * 1024 }, 3)]);
    expect(activityLabel(later.activity!)).toBe('copying the restore point (75 % of 400 MiB)…');
    // the next phase starts on its own
    const swapping = fold(later, [message({ type: 'phase', runId: RUN, phase: 'swapping' }, 4)]);
    expect(activityLabel(swapping.activity!)).toBe('swapping the database file…');
    expect(activityPercent(swapping.activity!)).toBeNull();
  });
});
