// DuckDB's progress of the statement running on a connection, sampled on a timer while it
// runs. Sampling starts only once a statement has run for a moment, so a short statement
// costs one timer set and cleared and no call into DuckDB. DuckDB reports progress only on a
// connection with PROGRESS_SETTINGS made; it counts scanned rows, so a statement without a
// scan (most DDL) reports none and yields no samples.
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ProgressSample {
  percent: number;
  rowsProcessed: number;
  totalRows: number;
  /** since sampling was asked for (the statement's start) */
  elapsedMs: number;
  /** time left at the pace so far */
  etaMs?: number;
}

export interface SamplingOptions {
  /** the first sample after this long (default 250 ms) */
  delayMs?: number;
  /** then one every this long (default 250 ms) */
  intervalMs?: number;
}

/**
 * Turn on DuckDB's query progress for a connection, without its terminal output: the
 * runner's own settings, made when the database is opened (migrations may not SET). SET
 * statements, not instance options: DuckDB refuses both there ("Failed to set config").
 */
export const PROGRESS_SETTINGS = ['SET enable_progress_bar = true', 'SET enable_progress_bar_print = false'] as const;

/**
 * Calls `onSample` whenever DuckDB's percentage for the running statement has grown since
 * the last sample. When it falls instead, the call has moved on to its next statement (a
 * whole file run as one call): samples then grow from there, with the time left reckoned
 * from when the fall was seen. Returns the function that stops sampling (call it when the
 * statement or call ends).
 */
export function sampleProgress(connection: DuckDBConnection, onSample: (sample: ProgressSample) => void, options: SamplingOptions = {}): () => void {
  const { delayMs = 250, intervalMs = 250 } = options;
  const start = performance.now();
  let statementStart = start;
  let last = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const progress = connection.progress;
    const percent = Math.min(100, progress.percentage);
    if (percent < last) {
      last = 0;
      statementStart = performance.now();
    }
    if (percent > last) {
      last = percent;
      const now = performance.now();
      const sample: ProgressSample = {
        percent,
        rowsProcessed: Number(progress.rows_processed),
        totalRows: Number(progress.total_rows_to_process),
        elapsedMs: now - start,
      };
      if (percent < 100) sample.etaMs = ((now - statementStart) * (100 - percent)) / percent;
      onSample(sample);
    }
    schedule(intervalMs);
  };
  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  schedule(delayMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
