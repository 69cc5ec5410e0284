// Specification: progress that is true at every moment of a run. Each statement is announced
// before it runs (statement:start), a long one reports DuckDB's own progress while it runs
// (statement:progress, percent only growing), a short one reports none, and the commit and
// checkpoint that follow the statements are announced as phases.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerEvent } from '../contract/index.js';
import { RunPercent } from './run-percent.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const SOURCE = `CREATE TABLE t1 AS SELECT range AS id, md5(range::VARCHAR) AS s FROM range(3000000);`;
// a table rebuild's copy with a computed column: over a second of scanning t1 even on an idle machine
const LONG_COPY = `CREATE TABLE t2 (id BIGINT, h VARCHAR);
INSERT INTO t2 SELECT id, md5(s || md5(s || md5(s || md5(s)))) FROM t1;
`;

function record(runner: { events: { onEvent(l: (e: RunnerEvent) => void): unknown } }): RunnerEvent[] {
  const events: RunnerEvent[] = [];
  runner.events.onEvent((e) => events.push(e));
  return events;
}

/** A database with 001's 3,000,000-row source applied and 002's long copy pending. */
async function sourceApplied() {
  box = sandbox({ copyMigrations: false });
  box.write('001_source.sql', SOURCE);
  box.write('002_copy.sql', LONG_COPY);
  const opened = await openRunner(box);
  expect((await opened.runner.run({ target: 1 })).status).toBe('success');
  return opened;
}

describe('statement progress', () => {
  it('a long INSERT … SELECT is announced, then reports growing percentages, then ends', async () => {
    const { db, runner } = await sourceApplied();
    const events = record(runner);
    expect((await runner.run()).status).toBe('success');

    const ofInsert = events.filter((e) => 'statementIndex' in e && e.version === 2 && e.statementIndex === 1);
    const types = ofInsert.map((e) => e.type);
    expect(types[0]).toBe('statement:start');
    expect(types.at(-1)).toBe('statement:done');
    const samples = ofInsert.filter((e) => e.type === 'statement:progress');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(types.slice(1, -1).every((t) => t === 'statement:progress')).toBe(true);
    const percents = samples.map((s) => s.percent);
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
    expect(percents.every((p) => p > 0 && p <= 100)).toBe(true);
    const first = samples[0]!;
    expect(first).toMatchObject({ runId: expect.any(String), name: 'copy', statementCount: 2 });
    expect(first.totalRows).toBeGreaterThanOrEqual(3_000_000);
    expect(first.rowsProcessed).toBeGreaterThan(0);
    expect(first.etaMs).toBeGreaterThan(0);
    // every sample was taken while the statement ran
    const done = ofInsert.at(-1)!;
    expect(done.type === 'statement:done' && samples.every((s) => s.elapsedMs <= done.durationMs)).toBe(true);
    await db.close();
  }, 60_000);

  it('a file run as one call (nobody follows its statements) still reports DuckDB\'s progress while it runs, and the run\'s percent moves with it', async () => {
    const { db, runner } = await sourceApplied();
    const events: RunnerEvent[] = [];
    runner.events.onEvent((e) => events.push(e), { statements: false });
    expect(runner.events.wantsStatements).toBe(false);
    expect((await runner.run()).status).toBe('success');

    expect(events.filter((e) => e.type.startsWith('statement:'))).toEqual([]);
    const samples = events.filter((e) => e.type === 'migration:progress');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples[0]).toMatchObject({ runId: events[0]!.runId, version: 2, name: 'copy' });
    expect(samples.every((s) => s.percent > 0 && s.percent <= 100 && s.rowsProcessed > 0)).toBe(true);
    expect(samples.some((s) => s.totalRows >= 3_000_000 && (s.etaMs ?? 0) > 0)).toBe(true);
    // all of them between the migration's start and its commit
    const order = events.map((e) => (e.type === 'phase' ? e.phase : e.type));
    expect(order.indexOf('migration:start')).toBeLessThan(order.indexOf('migration:progress'));
    expect(order.lastIndexOf('migration:progress')).toBeLessThan(order.indexOf('committing'));

    // the percent a CLI bar or a job shows grows inside the migration, not only at its end
    const percent = new RunPercent();
    const shown = events.map((e) => ({ type: e.type, percent: percent.next(e) }));
    const during = shown.filter((e) => e.type === 'migration:progress').map((e) => e.percent);
    expect(Math.max(...during)).toBeGreaterThan(0);
    expect(Math.max(...during)).toBeLessThan(100);
    expect(shown.find((e) => e.type === 'migration:done')!.percent).toBe(100);
    await db.close();
  }, 60_000);

  it('short statements are announced but report no progress samples', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const events = record(runner);
    expect((await runner.run()).status).toBe('success');
    expect(events.filter((e) => e.type === 'statement:progress')).toEqual([]);
    // each statement:done follows its own statement:start directly
    const statements = events.filter((e) => e.type === 'statement:start' || e.type === 'statement:done');
    expect(statements.length).toBeGreaterThan(0);
    for (let i = 0; i < statements.length; i += 2) {
      const [start, end] = [statements[i]!, statements[i + 1]!];
      expect(start.type).toBe('statement:start');
      expect(end).toMatchObject({ type: 'statement:done', version: start.version, statementIndex: (start as { statementIndex: number }).statementIndex });
    }
    await db.close();
  });
});

describe('phases', () => {
  const shape = (events: RunnerEvent[]) =>
    events
      .filter((e) => e.type !== 'statement:start' && e.type !== 'statement:done' && e.type !== 'statement:progress')
      .map((e) => (e.type === 'phase' ? `${e.phase}${e.version === undefined ? '' : `#${e.version}`}` : 'version' in e ? `${e.type}#${e.version}` : e.type));

  it('each migration is committed, then checkpointed, before it is reported done', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box, { checkpoint: 'each' });
    const events = record(runner);
    await runner.run({ target: 2 });
    expect(shape(events)).toEqual([
      'run:start',
      'migration:start#1',
      'committing#1',
      'checkpointing',
      'migration:done#1',
      'migration:start#2',
      'committing#2',
      'checkpointing',
      'migration:done#2',
      'run:done',
    ]);
    const runId = events[0]!.runId;
    expect(events.every((e) => e.runId === runId)).toBe(true);
    await db.close();
  });

  it('the restore point before a run is announced after run:start, with its copy\'s bytes as they come, before the first migration', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box, { checkpoint: 'each' });
    const events = record(runner);
    await runner.run({
      target: 1,
      beforeApply: async ({ onCopied }) => {
        onCopied?.(4096, 16384);
        onCopied?.(8192, 16384);
        return null;
      },
    });
    expect(shape(events).slice(0, 5)).toEqual(['run:start', 'restore-point', 'restore-point', 'restore-point', 'migration:start#1']);
    const copies = events.filter((e) => e.type === 'phase' && e.phase === 'restore-point');
    // the first with the file's size as the run starts (the restore point's CHECKPOINT may grow it), then the copy's
    expect(copies.map((e) => (e.type === 'phase' ? [e.bytesDone, e.bytes] : []))).toEqual([
      [undefined, expect.any(Number)],
      [4096, 16384],
      [8192, 16384],
    ]);
    await db.close();
  });

  it('an all-or-nothing batch commits once; the checkpoint at the end comes before run:done', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box, { checkpoint: 'end' });
    const events = record(runner);
    await runner.run({ target: 2, allOrNothing: true });
    expect(shape(events)).toEqual(['run:start', 'migration:start#1', 'migration:start#2', 'committing', 'migration:done#1', 'migration:done#2', 'checkpointing', 'run:done']);
    await db.close();
  });

  it('a rehearsal reports its statements and commits like a run', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const events = record(runner);
    await runner.dryRun({ rehearse: true, target: 1 });
    expect(shape(events)).toEqual(['run:start', 'migration:start#1', 'committing#1', 'migration:done#1', 'run:done']);
    expect(events.filter((e) => e.type === 'statement:start').length).toBe(events.filter((e) => e.type === 'statement:done').length);
    await db.close();
  });
});
