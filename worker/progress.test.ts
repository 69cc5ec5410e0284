// Specification of how runner events become job progress: ordered seq, percent of
// statements done, a readable log line each, and run:done last (the result is not progress).
import { describe, expect, it } from 'vitest';
import type { JobProgress, RunnerEvent } from '../contract/index.js';
import { createProgressReporter } from './progress.js';

function fakeJob() {
  const progress: JobProgress[] = [];
  const logs: string[] = [];
  return {
    progress,
    logs,
    job: {
      id: 'job-1',
      updateProgress: async (p: JobProgress) => void progress.push(p),
      log: async (line: string) => logs.push(line),
    },
  };
}

const runId = 'run-1';
const events: RunnerEvent[] = [
  { type: 'run:start', runId, mode: 'apply', migrations: [{ version: 1, name: 'a', statements: 2 }, { version: 2, name: 'b', statements: 2 }], totalStatements: 4 },
  { type: 'migration:start', runId, version: 1, name: 'a', index: 0, total: 2, statements: 2 },
  { type: 'statement:done', runId, version: 1, name: 'a', statementIndex: 0, statementCount: 2, line: 1, durationMs: 1, summary: 'CREATE TABLE a' },
  { type: 'statement:done', runId, version: 1, name: 'a', statementIndex: 1, statementCount: 2, line: 2, durationMs: 1, summary: 'CREATE INDEX a_i' },
  { type: 'migration:done', runId, version: 1, name: 'a', durationMs: 2 },
  { type: 'migration:start', runId, version: 2, name: 'b', index: 1, total: 2, statements: 2 },
  { type: 'statement:done', runId, version: 2, name: 'b', statementIndex: 0, statementCount: 2, line: 1, durationMs: 1, summary: 'CREATE TABLE b' },
  {
    type: 'migration:failed',
    runId,
    version: 2,
    name: 'b',
    durationMs: 3,
    cancelled: false,
    error: { message: 'Catalog Error: no such table', statementIndex: 1, line: 2 },
  },
  { type: 'run:done', runId, mode: 'apply', status: 'failed', durationMs: 9, applied: 1, failed: 1 },
];

describe('job progress from runner events', () => {
  it('numbers events in order, computes percent from statements done, and logs one line per event', async () => {
    const { job, progress, logs } = fakeJob();
    const reporter = createProgressReporter(job);
    for (const e of events) reporter.onEvent(e);
    await reporter.finish();

    expect(progress.map((p) => p.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.map((p) => p.percent)).toEqual([0, 0, 25, 50, 50, 50, 75, 75, 75]);
    expect(progress.map((p) => p.event.type)).toEqual(events.map((e) => e.type));
    expect(logs).toHaveLength(events.length);
    expect(logs[1]).toBe('migration:start 1 a (1/2, 2 statement(s))');
    expect(logs[7]).toBe('migration:failed 2 b failed and rolled back: Catalog Error: no such table');
  });

  it('has written every event, run:done last, once finish() resolves', async () => {
    const { job, progress, logs } = fakeJob();
    const reporter = createProgressReporter(job);
    for (const e of events) reporter.onEvent(e);
    await reporter.finish();
    expect(progress.at(-1)?.event).toEqual(events.at(-1));
    expect(logs.at(-1)).toBe('run:done apply failed: 1 applied, 1 failed (9.0 ms)');
  });

  it('a successful run ends at 100%', async () => {
    const { job, progress } = fakeJob();
    const reporter = createProgressReporter(job);
    reporter.onEvent(events[0]!);
    reporter.onEvent({ type: 'run:done', runId, mode: 'apply', status: 'success', durationMs: 1, applied: 2, failed: 0 });
    await reporter.finish();
    expect(progress.at(-1)?.percent).toBe(100);
  });

  it('a Redis write that fails never breaks the run: later events are still written', async () => {
    const { job, progress } = fakeJob();
    let calls = 0;
    const flaky = { ...job, updateProgress: async (p: JobProgress) => (calls++ === 0 ? Promise.reject(new Error('Connection is closed')) : job.updateProgress(p)) };
    const reporter = createProgressReporter(flaky);
    for (const e of events.slice(0, 3)) reporter.onEvent(e);
    await reporter.finish();
    expect(progress.map((p) => p.seq)).toEqual([1, 2]);
  });
});

describe('progress writes while Redis answers slowly', () => {
  it('sends the events that arrived while a batch was on its way together, in order, once it is answered', async () => {
    /** each write: what it was and how many batches had been answered when it started */
    const started: string[] = [];
    let answered = 0;
    let release: (() => void)[] = [];
    const pending = () => new Promise<void>((resolve) => release.push(resolve));
    const job = {
      id: 'job-1',
      updateProgress: (p: JobProgress) => (started.push(`${answered}: progress ${p.seq}`), pending()),
      log: (line: string) => (started.push(`${answered}: log ${line.split(' ')[0]}`), pending()),
    };
    const reporter = createProgressReporter(job);
    reporter.onEvent(events[0]!);
    reporter.onEvent(events[1]!);
    reporter.onEvent(events[2]!);
    const finished = reporter.finish();
    while (release.length > 0) {
      const batch = release;
      release = [];
      answered++;
      for (const answer of batch) answer();
      // the next batch starts once every write of this one is answered
      await new Promise((resolve) => setImmediate(resolve));
    }
    await finished;
    // the first write goes out at once; everything after it waits for its answer, then goes together
    expect(started).toEqual([
      '0: progress 0',
      '1: log run:start',
      '1: progress 1',
      '1: log migration:start',
      '1: progress 2',
      '1: log statement:done',
    ]);
  });
});

describe('a long statement in the job progress', () => {
  const step = { runId, version: 1, name: 'a', statementIndex: 0, statementCount: 2 };
  const sample = (percent: number): RunnerEvent => ({ type: 'statement:progress', ...step, percent, rowsProcessed: percent * 10, totalRows: 1000, elapsedMs: 300 });

  it('writes statement:start, phases and statement:done always, and progress samples at most 4 per second', async () => {
    const { job, progress, logs } = fakeJob();
    let now = 0;
    const reporter = createProgressReporter(job, undefined, () => now);
    reporter.onEvent(events[0]!);
    reporter.onEvent(events[1]!);
    reporter.onEvent({ type: 'statement:start', ...step, line: 1, summary: 'INSERT INTO a' });
    now = 300;
    reporter.onEvent(sample(10));
    now = 400;
    reporter.onEvent(sample(20)); // 100 ms after the last written sample: dropped
    now = 560;
    reporter.onEvent(sample(30));
    now = 570;
    reporter.onEvent({ type: 'statement:done', ...step, line: 1, durationMs: 570, summary: 'INSERT INTO a' });
    reporter.onEvent({ type: 'statement:start', ...step, statementIndex: 1, line: 2, summary: 'CREATE INDEX a_i' });
    reporter.onEvent({ type: 'statement:done', ...step, statementIndex: 1, line: 2, durationMs: 1, summary: 'CREATE INDEX a_i' });
    reporter.onEvent({ type: 'phase', runId, phase: 'committing', version: 1, name: 'a' });
    reporter.onEvent({ type: 'phase', runId, phase: 'checkpointing' });
    await reporter.finish();

    const written = progress.map((p) => (p.event.type === 'statement:progress' ? `progress ${p.event.percent}` : p.event.type));
    expect(written).toEqual([
      'run:start',
      'migration:start',
      'statement:start',
      'progress 10',
      'progress 30',
      'statement:done',
      'statement:start',
      'statement:done',
      'phase',
      'phase',
    ]);
    expect(progress.map((p) => p.seq)).toEqual(written.map((_, i) => i));
    // no log line per sample: the log stays one line per step
    expect(logs).toHaveLength(written.length - 2);
    expect(logs).toContain('phase committing 1 a');
  });

  it("writes a copy's bytes so far like DuckDB's samples: thinned, as progress only, never a log line", async () => {
    const { job, progress, logs } = fakeJob();
    let now = 0;
    const reporter = createProgressReporter(job, undefined, () => now);
    const copied = (bytesDone: number): RunnerEvent => ({ type: 'phase', runId, phase: 'copying', bytes: 1000, bytesDone });
    reporter.onEvent({ type: 'run:start', runId, mode: 'restore', migrations: [], totalStatements: 0 });
    reporter.onEvent({ type: 'phase', runId, phase: 'copying', bytes: 1000 });
    now = 300;
    reporter.onEvent(copied(250));
    now = 400;
    reporter.onEvent(copied(400)); // 100 ms after the last written sample: dropped
    now = 600;
    reporter.onEvent(copied(700));
    reporter.onEvent({ type: 'phase', runId, phase: 'swapping' });
    await reporter.finish();

    expect(progress.map((p) => (p.event.type === 'phase' ? `${p.event.phase}${p.event.bytesDone === undefined ? '' : ` ${p.event.bytesDone}`}` : p.event.type))).toEqual([
      'run:start',
      'copying',
      'copying 250',
      'copying 700',
      'swapping',
    ]);
    expect(logs.filter((l) => l.startsWith('phase'))).toEqual(['phase copying (1000 bytes)', 'phase swapping']);
  });

  it('moves the overall percent within the running statement', async () => {
    const { job, progress } = fakeJob();
    const reporter = createProgressReporter(job, undefined, () => 1000);
    reporter.onEvent(events[0]!); // 4 statements in all
    reporter.onEvent({ type: 'statement:start', ...step, line: 1, summary: 'INSERT INTO a' });
    reporter.onEvent(sample(50));
    await reporter.finish();
    expect(progress.map((p) => p.percent)).toEqual([0, 0, 12.5]);
  });
});
