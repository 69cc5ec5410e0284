import { describe, expect, it } from 'vitest';
import { crashNote, exportSearch, historySearch, isFiltered, NO_FILTER, restoreNote } from './history-query.js';
import type { RunSummary } from './types.js';

function run(fields: Partial<RunSummary>): RunSummary {
  return {
    runId: 'r',
    jobId: null,
    mode: 'apply',
    status: 'success',
    requestedBy: 'ada',
    reason: null,
    startedAt: '2026-11-01T00:00:00Z',
    finishedAt: '2026-11-01T00:00:01Z',
    durationMs: 1,
    fromVersion: 0,
    toVersion: 0,
    error: null,
    migrations: [],
    ...fields,
  };
}
const applied = (version: number) => ({ version, name: `m${version}`, file: '', checksum: '', status: 'applied' as const, statements: 1 });

describe('history filters as a query', () => {
  it('sends only the filled-in filters, trimmed, with the page', () => {
    const filter = { ...NO_FILTER, outcome: 'failed', who: '  bob ', q: 'a&b' };
    expect(historySearch(filter, 0, 25)).toBe('?outcome=failed&who=bob&q=a%26b&limit=25');
    expect(historySearch(filter, 50, 25)).toBe('?outcome=failed&who=bob&q=a%26b&limit=25&offset=50');
    expect(exportSearch(filter, 'csv')).toBe('?outcome=failed&who=bob&q=a%26b&format=csv');
  });

  it('knows whether any filter is set', () => {
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ ...NO_FILTER, from: '2026-11-01' })).toBe(true);
    expect(isFiltered({ ...NO_FILTER, q: '   ' })).toBe(false);
  });
});

describe('what a run did to the ledger', () => {
  it('names the versions a restore removed, from the runs that applied them', () => {
    const runs = [
      run({ mode: 'restore', fromVersion: 4, toVersion: 2, startedAt: '2026-11-03T00:00:00Z' }),
      run({ migrations: [applied(3), applied(4)], startedAt: '2026-11-02T00:00:00Z' }),
      run({ migrations: [applied(1), applied(2)], startedAt: '2026-11-01T00:00:00Z' }),
    ];
    expect(restoreNote(runs[0]!, runs)).toBe('restored to v2: versions 3, 4 removed');
  });

  it('falls back to the version range when the runs that applied them are not known', () => {
    expect(restoreNote(run({ mode: 'restore', fromVersion: 7, toVersion: 5 }), [])).toBe('restored to v5: versions after 5 up to 7 removed');
  });

  it('says nothing for runs that removed nothing', () => {
    expect(restoreNote(run({ fromVersion: 1, toVersion: 2 }), [])).toBeNull();
    expect(restoreNote(run({ mode: 'restore', status: 'failed', fromVersion: 4, toVersion: 2 }), [])).toBeNull();
  });

  it('gives a crashed run its reason', () => {
    expect(crashNote(run({ status: 'crashed', error: 'killed' }))).toBe('worker stopped during the run: killed');
    expect(crashNote(run({ status: 'failed', error: 'x' }))).toBeNull();
  });
});
