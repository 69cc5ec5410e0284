// The run history as the API serves it: the runs the worker published, narrowed by the
// history filters, joined with who cancelled them, and written out as CSV for export.
// No HTTP here; the history routes call these.
import type { RedisConnection } from '../config/redis-connection.js';
import type { HistoryFilter, HistoryRun, RunSummary } from '../contract/index.js';
import type { WorkerKeys } from './worker-state.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first millisecond an instant filter admits (`end`: the last one; a day covers all of it). */
function bound(instant: string, end: boolean): number {
  if (DAY.test(instant)) return Date.parse(`${instant}T00:00:00.000Z`) + (end ? 86_400_000 - 1 : 0);
  return Date.parse(instant);
}

const contains = (text: string | null | undefined, part: string) => (text ?? '').toLowerCase().includes(part);

function touchesMigration(run: RunSummary, term: string): boolean {
  if (/^\d+$/.test(term)) {
    const version = Number(term);
    if (run.migrations.some((m) => m.version === version)) return true;
    // a restore touches the versions it removed (or put back)
    return run.mode === 'restore' && version > Math.min(run.fromVersion, run.toVersion) && version <= Math.max(run.fromVersion, run.toVersion);
  }
  return run.migrations.some((m) => contains(m.name, term) || contains(m.file, term));
}

/** Whether a run matches every filter that is set. */
export function matchesHistoryFilter(run: RunSummary, filter: HistoryFilter): boolean {
  if (filter.outcome && run.status !== filter.outcome) return false;
  if (filter.mode && run.mode !== filter.mode) return false;
  if (filter.who && !contains(run.requestedBy, filter.who.toLowerCase())) return false;
  const started = Date.parse(run.startedAt);
  if (filter.from && started < bound(filter.from, false)) return false;
  if (filter.to && started > bound(filter.to, true)) return false;
  if (filter.migration && !touchesMigration(run, filter.migration.toLowerCase())) return false;
  if (filter.q) {
    const q = filter.q.toLowerCase();
    const found = contains(run.reason, q) || contains(run.error, q) || run.migrations.some((m) => contains(m.error?.message, q));
    if (!found) return false;
  }
  return true;
}

/** Adds `cancelledBy` to the cancelled runs whose cancel request the API recorded. */
export async function withCancelledBy(redis: RedisConnection, keys: WorkerKeys, runs: RunSummary[]): Promise<HistoryRun[]> {
  const cancelled = runs.filter((r) => r.status === 'cancelled' && r.jobId);
  if (cancelled.length === 0) return runs;
  const names = await redis.mget(...cancelled.map((r) => keys.cancelledBy(r.jobId!)));
  const byJob = new Map(cancelled.map((r, i) => [r.jobId!, names[i]]));
  return runs.map((r) => {
    const name = r.jobId ? byJob.get(r.jobId) : null;
    return name ? { ...r, cancelledBy: name } : r;
  });
}

export const HISTORY_CSV_COLUMNS = [
  'runId',
  'jobId',
  'mode',
  'status',
  'requestedBy',
  'reason',
  'startedAt',
  'finishedAt',
  'durationMs',
  'fromVersion',
  'toVersion',
  'migrations',
  'error',
  'cancelledBy',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes
 * doubled. Text starting with = + - @ (or a tab/CR) gets a leading apostrophe so that a
 * spreadsheet shows it instead of evaluating it as a formula.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The runs as CSV: a header line, one line per run, CRLF line ends. */
export function historyCsv(runs: readonly HistoryRun[]): string {
  const lines = [HISTORY_CSV_COLUMNS.join(',')];
  for (const run of runs) {
    const migrations = run.migrations.map((m) => `${m.version}:${m.status}`).join(' ');
    const row: Record<(typeof HISTORY_CSV_COLUMNS)[number], string | number | null | undefined> = { ...run, cancelledBy: run.cancelledBy, migrations };
    lines.push(HISTORY_CSV_COLUMNS.map((column) => csvField(row[column])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
