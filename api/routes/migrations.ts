// /api/v1/admin/migrations: run, dry-run and undo preview (optionally waiting), undo,
// restore, status, drift, history and scheduled runs. Enqueue rules live in jobs.ts, when a run
// may start in run-schedule.ts; status comes from the worker's snapshot and heartbeat in
// Redis, never from the database. An accepted run or undo is announced (run.queued /
// undo.queued, then .awaiting-approval when it waits for an approver) before it is
// confirmed, so the worker's .started always follows it. A sub-app mounted at
// MIGRATION_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { QueueEvents } from 'bullmq';
import type { Context, MiddlewareHandler } from 'hono';
import type { RedisConnection } from '../../config/redis-connection.js';
import {
  ADMIN_PREFIX,
  EMPTY_PLAN_ID,
  STATEMENT_PREVIEW_BYTES,
  describePlanDifference,
  planDifference,
  readPlan,
  type EnqueuedResponse,
  type HistoryRun,
  type JobData,
  type JobView,
  type NotificationInput,
  type ApprovalPolicy,
  type PendingMigration,
  type PendingSqlResponse,
  type PlannedStatement,
  type StatusResponse,
  type StatusView,
} from '../../contract/index.js';
import { APPROVAL_WINDOW_MS, needsApproval, newApproval, readUndoPlan, undoNeedsApproval } from '../approvals.js';
import { ApiError } from '../errors.js';
import { historyCsv, matchesHistoryFilter, withCancelledBy } from '../history.js';
import { acceptedKey, confirmWithinDeadline, DEFAULT_RUN_DEADLINE_MS } from '../run-deadline.js';
import type { MaintenanceSettings } from '../../config/governance.js';
import { enqueue, refuseWhenPaused, getJobView, listRecentJobs, listScheduledRuns, waitForJob, type MigrationQueue } from '../jobs.js';
import { scheduleRun, type RunSchedule } from '../run-schedule.js';
import { requestHeader } from '../node-request.js';
import { fullBody, matchesIfNoneMatch, type SummaryCache } from '../status-body.js';
import type { StatusStateReader } from '../status-state.js';
import type { WorkerKeys, WorkerStateReader } from '../worker-state.js';
import { driftRoute, dryRunRoute, historyExportRoute, historyRoute, pendingSqlRoute, restoreRoute, runRoute, scheduledRunsRoute, statusRoute, undoPreviewRoute, undoRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

export const MIGRATION_ROUTES_BASE = ADMIN_PREFIX;

export interface MigrationRoutesDeps {
  queue: MigrationQueue;
  queueEvents: QueueEvents;
  redis: RedisConnection;
  keys: WorkerKeys;
  workerState: WorkerStateReader;
  /** the per-token rate limit for mutating routes */
  limiter: MiddlewareHandler;
  /** a run or restore not confirmed within this long is refused by the worker (run-deadline.ts) */
  runDeadlineMs?: number;
  /** the status reads (shared with the status poll, status-poll.ts) */
  statusState: StatusStateReader;
  /** the summary, serialized once per state (shared with the status poll) */
  summaries: SummaryCache;
  /** announces run events (notify/notifier.ts) */
  notify?: (input: NotificationInput) => Promise<void>;
  /** when runs may start; null: any time */
  maintenance?: MaintenanceSettings;
  /** which runs wait for another admin's approval (DUCKMIG_APPROVALS; default off) */
  approvals?: ApprovalPolicy;
}

/** The migrations a run would apply now (worker's latest status) and their plan id. */
interface RunBatch {
  batch: PendingMigration[];
  planId: string;
}

export function enqueuedBody(jobId: string, scheduledFor?: string): EnqueuedResponse {
  const id = encodeURIComponent(jobId);
  return { jobId, statusUrl: `${ADMIN_PREFIX}/jobs/${id}`, eventsUrl: `${ADMIN_PREFIX}/events?jobId=${id}`, ...(scheduledFor && { scheduledFor }) };
}

function inProgress(jobId: string): ApiError {
  return new ApiError(409, 'run-in-progress', `job ${jobId} is already waiting or running; follow it or cancel it first`, {
    details: { jobId, statusUrl: enqueuedBody(jobId).statusUrl },
  });
}

export function migrationRoutes(deps: MigrationRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  const { queue, queueEvents, redis, keys, workerState, limiter, runDeadlineMs = DEFAULT_RUN_DEADLINE_MS, approvals = 'off', notify = async () => undefined, maintenance } = deps;
  const { statusState, summaries } = deps;

  async function enqueueExclusive(data: Extract<JobData, { kind: 'run' | 'restore' | 'undo' }>, schedule: RunSchedule = { delayMs: 0 }): Promise<EnqueuedResponse> {
    await refuseWhenPaused(queue);
    const notAfter = Date.now() + runDeadlineMs;
    const { scheduledFor } = schedule;
    const { jobId, accepted } = await enqueue(queue, { ...data, notAfter: new Date(notAfter).toISOString(), ...(scheduledFor && { scheduledFor }) }, schedule.delayMs);
    if (!accepted) throw inProgress(jobId);
    if (data.kind === 'run' || data.kind === 'undo') {
      const { requestedBy, reason } = data;
      const about = { jobId, requestedBy, ...(reason && { reason }), ...(data.kind === 'undo' && { toVersion: data.to }) };
      await notify({ event: `${data.kind}.queued`, ...about, ...(scheduledFor && !data.approval && { scheduledFor }) });
      if (data.approval) await notify({ event: `${data.kind}.awaiting-approval`, ...about, message: `awaits approval by another admin until ${data.approval.expiresAt}` });
    }
    await confirmWithinDeadline(redis, acceptedKey(keys.accepted, jobId), notAfter, schedule.delayMs);
    return enqueuedBody(jobId, scheduledFor);
  }

  /**
   * 409 when the pinned plan is not what a run would apply now, by the worker's latest
   * snapshot (the worker checks again against the files before applying anything).
   */
  async function refuseChangedPlan(plan: string | undefined, target: number | undefined): Promise<RunBatch | null> {
    const { snapshot } = await workerState.read();
    if (!snapshot) return null;
    const batch = snapshot.status.pending.filter((m) => target === undefined || m.version <= target);
    const current = batch.at(-1)?.planId ?? EMPTY_PLAN_ID;
    if (plan === undefined || current === plan) return { batch, planId: current };
    const difference = planDifference(plan, await readPlan(redis, keys.plans, plan), batch, current);
    throw new ApiError(409, 'plan-changed', `the pending migrations changed since the plan was previewed, nothing was enqueued: ${describePlanDifference(difference)}`, {
      details: difference,
    });
  }

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...runRoute, middleware: guards(runRoute, limiter) }), async function runMigrations(c) {
    const { target, reason, allOrNothing, plan, at, allowDrift } = c.req.valid('json');
    const schedule = scheduleRun(at, maintenance);
    const current = await refuseChangedPlan(plan, target);
    const requestedBy = c.get('principal').name;
    if (approvals !== 'off' && (!current || needsApproval(approvals, current.batch))) {
      // awaits approval with its plan pinned: what is approved is what runs, or it is refused as plan-changed
      if (!current) throw new ApiError(503, 'status-unknown', 'the worker has not published its status yet, so the plan to approve is unknown; try again shortly', { headers: { 'Retry-After': '5' } });
      // a scheduled run must be approved by its time; otherwise it waits the approval window
      const approval = newApproval(approvals, schedule.scheduledFor);
      const wait = schedule.delayMs > 0 ? schedule : { delayMs: APPROVAL_WINDOW_MS };
      const body = await enqueueExclusive({ kind: 'run', requestedBy, target, reason, allOrNothing, plan: current.planId, approval, ...(allowDrift && { allowDrift }) }, wait);
      return c.json({ ...body, awaitingApproval: true }, 202);
    }
    const body = await enqueueExclusive({ kind: 'run', requestedBy, target, reason, allOrNothing, ...(plan && { plan }), ...(allowDrift && { allowDrift }) }, schedule);
    return c.json(body, 202);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...scheduledRunsRoute, middleware: guards(scheduledRunsRoute) }), async function scheduledRuns(c) {
    const { snapshot } = await workerState.read();
    const runs = await listScheduledRuns(queue, snapshot?.status.pending ?? []);
    return c.json({ runs, windows: maintenance?.windows.map((w) => w.text) ?? [], policy: maintenance?.policy ?? null }, 200);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...pendingSqlRoute, middleware: guards(pendingSqlRoute) }), async function getPendingSql(c) {
    const { version } = c.req.valid('param');
    const { offset, limit } = c.req.valid('query');
    const { snapshot } = await workerState.read();
    const pending = snapshot?.status.pending.find((m) => m.version === version);
    if (!pending) throw new ApiError(404, 'not-pending', `version ${version} is not pending`);
    const key = keys.pendingSql(pending.checksum);
    const [[, available], [, page]] = (await redis.multi().llen(key).lrange(key, offset, offset + limit - 1).exec()) as [[unknown, number], [unknown, string[]]];
    if (available === 0) throw new ApiError(404, 'sql-not-published', `the worker has not published the SQL of ${pending.file} (yet)`);
    const body: PendingSqlResponse = {
      version: pending.version,
      name: pending.name,
      file: pending.file,
      checksum: pending.checksum,
      sizeBytes: pending.sizeBytes,
      statementCount: pending.statementCount,
      offset,
      statements: page.map((raw) => JSON.parse(raw) as PlannedStatement),
      available,
      statementPreviewBytes: STATEMENT_PREVIEW_BYTES,
    };
    return c.json(body, 200);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...restoreRoute, middleware: guards(restoreRoute, limiter) }), async function restoreDatabase(c) {
    const { restorePointId, reason } = c.req.valid('json');
    const body = await enqueueExclusive({ kind: 'restore', requestedBy: c.get('principal').name, restorePointId, reason });
    return c.json(body, 202);
  });

  /** Enqueues a preview job; with `wait` seconds, answers the finished job when it ends in time. */
  async function enqueuePreview(data: JobData, wait: number): Promise<{ view: JobView } | { enqueued: EnqueuedResponse }> {
    await refuseWhenPaused(queue);
    const { job, jobId } = await enqueue(queue, data);
    if (wait > 0) {
      await waitForJob(job, queueEvents, wait * 1000);
      const view = await getJobView(queue, jobId);
      if (view && (view.state === 'completed' || view.state === 'failed')) return { view };
    }
    return { enqueued: enqueuedBody(jobId) };
  }

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...dryRunRoute, middleware: guards(dryRunRoute, limiter) }), async function dryRunMigrations(c) {
    const { wait = 0 } = c.req.valid('query');
    const { target, rehearse } = c.req.valid('json');
    // A request without a body skips the schema (and its default): rehearse by default.
    const answer = await enqueuePreview({ kind: 'dry-run', requestedBy: c.get('principal').name, target, rehearse: rehearse ?? true }, wait);
    return 'view' in answer ? c.json(answer.view, 200) : c.json(answer.enqueued, 202);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...undoPreviewRoute, middleware: guards(undoPreviewRoute, limiter) }), async function previewUndo(c) {
    const { wait = 0 } = c.req.valid('query');
    const { to } = c.req.valid('json');
    const answer = await enqueuePreview({ kind: 'undo-preview', requestedBy: c.get('principal').name, to }, wait);
    return 'view' in answer ? c.json(answer.view, 200) : c.json(answer.enqueued, 202);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...undoRoute, middleware: guards(undoRoute, limiter) }), async function undoMigrations(c) {
    const { to, reason, plan } = c.req.valid('json');
    const requestedBy = c.get('principal').name;
    if (approvals !== 'off') {
      // an approver approves exactly the down scripts a preview showed: the undo must be pinned to it
      if (!plan) {
        throw new ApiError(422, 'plan-required', 'undos need approval here (DUCKMIG_APPROVALS): preview the undo first and give its plan id, so the approver sees exactly the down scripts that will run');
      }
      const previewed = await readUndoPlan(redis, keys, plan);
      if (previewed && previewed.to !== to) throw new ApiError(409, 'plan-changed', `plan ${plan.slice(0, 12)}… is an undo to version ${previewed.to}, not ${to}; nothing was enqueued`);
      if (undoNeedsApproval(approvals, previewed)) {
        const approval = newApproval(approvals);
        const body = await enqueueExclusive({ kind: 'undo', requestedBy, to, reason, plan, approval }, { delayMs: APPROVAL_WINDOW_MS });
        return c.json({ ...body, awaitingApproval: true }, 202);
      }
    }
    const body = await enqueueExclusive({ kind: 'undo', requestedBy, to, reason, ...(plan && { plan }) });
    return c.json(body, 202);
  });

  /**
   * The status as pollers get it. Answers are built as Responses with plain header objects
   * (the summary's made once per state, status-body.ts): on @hono/node-server such an
   * answer is written with writeHead() as it is, with no Headers object in between.
   */
  async function answerStatus(c: Context, view: StatusView): Promise<Response> {
    const state = await statusState.read();
    if (view === 'full') return new Response(fullBody(state), { status: 200, headers: { 'content-type': 'application/json' } });
    const summary = summaries.answer(state);
    // no body: @hono/node-server writes a null body through a web Response (a few µs more
    // than a string), but a string would make it add Content-Length: 0, wrong for a 304
    if (matchesIfNoneMatch(requestHeader(c, 'If-None-Match'), summary.etag)) return new Response(null, { status: 304, headers: summary.notModifiedHeaders });
    return new Response(summary.body, { status: 200, headers: summary.headers });
  }

  // a poll without a query string is the summary: answered before the query validator,
  // which has nothing to check then (the role check above it still runs)
  const summaryWithoutQuery: MiddlewareHandler = async function summaryWithoutQuery(c, next) {
    if (!c.req.url.includes('?')) return answerStatus(c, 'summary');
    await next();
  };
  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...statusRoute, middleware: guards(statusRoute, summaryWithoutQuery) }), async function getStatus(c) {
    type Answer = ReturnType<typeof c.json<StatusResponse, 200>>;
    return (await answerStatus(c, c.req.valid('query').view)) as unknown as Answer;
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...driftRoute, middleware: guards(driftRoute) }), async function getDrift(c) {
    const { snapshot } = await workerState.read();
    return c.json({ drift: snapshot?.drift ?? null }, 200);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...historyRoute, middleware: guards(historyRoute) }), async function getHistory(c) {
    const { limit, offset, ...filter } = c.req.valid('query');
    const [{ snapshot }, jobs] = await Promise.all([workerState.read(), listRecentJobs(queue, 50)]);
    const matching = (snapshot?.runs ?? []).filter((run) => matchesHistoryFilter(run, filter));
    const runs = await withCancelledBy(redis, keys, matching.slice(offset, offset + limit));
    return c.json({ runs, total: matching.length, offset, limit, ledger: snapshot?.status.ledger ?? [], jobs }, 200);
  });

  app.openapi(relativeTo(MIGRATION_ROUTES_BASE, { ...historyExportRoute, middleware: guards(historyExportRoute) }), async function exportHistory(c) {
    const { format, ...filter } = c.req.valid('query');
    const { snapshot } = await workerState.read();
    const runs = await withCancelledBy(redis, keys, (snapshot?.runs ?? []).filter((run) => matchesHistoryFilter(run, filter)));
    const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
    c.header('Content-Disposition', `attachment; filename="duckmig-runs-${stamp}.${format}"`);
    if (format === 'json') return c.json(runs, 200);
    return c.body(historyCsv(runs), 200, { 'content-type': 'text/csv; charset=utf-8' }) as unknown as ReturnType<typeof c.json<HistoryRun[], 200>>;
  });
  return app;
}
