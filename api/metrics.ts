// Prometheus metrics at /metrics (text format 0.0.4): request counts and durations
// per route pattern and status (counted in this process), plus gauges read on
// scrape: queue job counts and pause, worker online and snapshot age, schema drift, live clients.
import type { Env, Hono, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { DriftReport } from '../contract/index.js';
import { requireRole } from './auth.js';
import type { MigrationQueue } from './jobs.js';
import type { LiveHub } from './live-hub.js';
import type { WorkerStateReader } from './worker-state.js';

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([key, value]) => `${key}="${escape(value)}"`)
    .join(',')}}`;

export class RequestMetrics {
  readonly #series = new Map<string, { labels: string; count: number; seconds: number }>();

  record(method: string, route: string, status: number, seconds: number): void {
    // every request lands here: the label text is built once per series, not per request
    const key = `${method}\0${route}\0${status}`;
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = { labels: labels({ method, route, status: String(status) }), count: 0, seconds: 0 }));
    series.count += 1;
    series.seconds += seconds;
  }

  render(): string[] {
    const lines = [
      '# HELP duckmig_http_requests_total HTTP requests answered, by method, route pattern and status.',
      '# TYPE duckmig_http_requests_total counter',
    ];
    for (const s of this.#series.values()) lines.push(`duckmig_http_requests_total${s.labels} ${s.count}`);
    lines.push(
      '# HELP duckmig_http_request_duration_seconds_sum Total time spent answering, by method, route pattern and status.',
      '# TYPE duckmig_http_request_duration_seconds_sum counter',
    );
    for (const s of this.#series.values()) lines.push(`duckmig_http_request_duration_seconds_sum${s.labels} ${s.seconds.toFixed(6)}`);
    return lines;
  }
}

export function countRequests(metrics: RequestMetrics): MiddlewareHandler {
  return async function countRequests(c, next) {
    const started = performance.now();
    await next();
    // The route pattern (not the URL) keeps label cardinality bounded.
    metrics.record(c.req.method, routePath(c, -1) || 'unmatched', c.res.status, (performance.now() - started) / 1000);
  };
}

/** The worker's last drift check as gauges (absent until it made one, or when it could not check). */
function driftLines(drift: DriftReport | null): string[] {
  const lines = [
    '# HELP duckmig_schema_drift 1 when the live schema differs from what the applied migrations produce (absent until checked).',
    '# TYPE duckmig_schema_drift gauge',
  ];
  const checked = drift !== null && drift.error === null;
  if (checked) lines.push(`duckmig_schema_drift ${drift.drifted ? 1 : 0}`);
  lines.push('# HELP duckmig_schema_drift_differences Extra, missing and changed schema objects found by the last drift check.', '# TYPE duckmig_schema_drift_differences gauge');
  if (checked) lines.push(`duckmig_schema_drift_differences ${drift.differences.length}`);
  lines.push('# HELP duckmig_schema_drift_checked_timestamp_seconds When the last drift check ended (Unix time).', '# TYPE duckmig_schema_drift_checked_timestamp_seconds gauge');
  if (drift !== null) lines.push(`duckmig_schema_drift_checked_timestamp_seconds ${Date.parse(drift.checkedAt) / 1000}`);
  return lines;
}

export interface MetricsRouteOptions {
  metrics: RequestMetrics;
  queue: MigrationQueue;
  workerState: WorkerStateReader;
  hub: LiveHub;
}

export function registerMetricsRoute(app: Hono<Env>, { metrics, queue, workerState, hub }: MetricsRouteOptions): void {
  app.get('/metrics', requireRole('viewer'), async function prometheusMetrics(c) {
    const [counts, { liveness, snapshot }, paused] = await Promise.all([queue.getJobCounts(), workerState.read(), queue.isPaused()]);
    const lines = metrics.render();
    lines.push('# HELP duckmig_queue_jobs Jobs in the migrations queue by state.', '# TYPE duckmig_queue_jobs gauge');
    for (const [state, count] of Object.entries(counts)) lines.push(`duckmig_queue_jobs${labels({ state })} ${count}`);
    lines.push(
      '# HELP duckmig_queue_paused 1 while the queue is paused (bull-board, queue.pause()): no job starts.',
      '# TYPE duckmig_queue_paused gauge',
      `duckmig_queue_paused ${paused ? 1 : 0}`,
      '# HELP duckmig_worker_online 1 while the worker\'s heartbeat key exists.',
      '# TYPE duckmig_worker_online gauge',
      `duckmig_worker_online ${liveness.online ? 1 : 0}`,
      '# HELP duckmig_worker_snapshot_age_seconds Age of the worker\'s last status snapshot (absent when none).',
      '# TYPE duckmig_worker_snapshot_age_seconds gauge',
    );
    if (liveness.snapshotAgeMs !== null) lines.push(`duckmig_worker_snapshot_age_seconds ${liveness.snapshotAgeMs / 1000}`);
    lines.push(...driftLines(snapshot?.drift ?? null));
    lines.push(
      '# HELP duckmig_live_clients WebSocket and SSE clients connected to this process.',
      '# TYPE duckmig_live_clients gauge',
      `duckmig_live_clients ${hub.clients}`,
    );
    return c.text(`${lines.join('\n')}\n`, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
