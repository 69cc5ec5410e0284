// The history page's filters as the API's query string (GET …/history and its export),
// and the sentences that explain a run's effect on the ledger: what a restore removed,
// why a crashed run has no outcome.
import type { RunSummary } from './types.js';

/** The filter form's fields; an empty string leaves that filter out. */
export interface HistoryFilterForm {
  outcome: string;
  mode: string;
  who: string;
  from: string;
  to: string;
  migration: string;
  q: string;
}

export const NO_FILTER: HistoryFilterForm = { outcome: '', mode: '', who: '', from: '', to: '', migration: '', q: '' };

const FIELDS = ['outcome', 'mode', 'who', 'from', 'to', 'migration', 'q'] as const;

/** the filled-in filters as query parameters */
export function filterParams(filter: HistoryFilterForm): URLSearchParams {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = filter[field].trim();
    if (value) params.set(field, value);
  }
  return params;
}

export function isFiltered(filter: HistoryFilterForm): boolean {
  return filterParams(filter).size > 0;
}

/** `?…` for one page of the filtered history */
export function historySearch(filter: HistoryFilterForm, offset: number, limit: number): string {
  const params = filterParams(filter);
  params.set('limit', String(limit));
  if (offset > 0) params.set('offset', String(offset));
  return `?${params}`;
}

/** `?…` for downloading every filtered run */
export function exportSearch(filter: HistoryFilterForm, format: 'csv' | 'json'): string {
  const params = filterParams(filter);
  params.set('format', format);
  return `?${params}`;
}

/**
 * The versions a successful restore removed from the ledger, as far as the known runs
 * tell (versions they applied above the restored version, up to the version before);
 * null for anything but a restore that went back.
 */
export function restoreNote(run: RunSummary, known: readonly RunSummary[]): string | null {
  if (run.mode !== 'restore' || run.status !== 'success' || run.toVersion >= run.fromVersion) return null;
  const removed = new Set<number>();
  for (const other of known) {
    if (other.mode !== 'apply' || other.startedAt > run.startedAt) continue;
    for (const m of other.migrations) {
      if (m.status === 'applied' && m.version > run.toVersion && m.version <= run.fromVersion) removed.add(m.version);
    }
  }
  const versions = [...removed].sort((a, b) => a - b);
  const what = versions.length
    ? `${versions.length === 1 ? 'version' : 'versions'} ${versions.join(', ')} removed`
    : `versions after ${run.toVersion} up to ${run.fromVersion} removed`;
  return `restored to v${run.toVersion}: ${what}`;
}

/** Why a crashed run has no outcome of its own. */
export function crashNote(run: RunSummary): string | null {
  if (run.status !== 'crashed') return null;
  return `worker stopped during the run: ${run.error ?? 'no reason recorded'}`;
}
