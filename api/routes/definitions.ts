// The HTTP surface of /api/v1 as data: one createRoute() per operation, built from the
// contract's zod schemas. Route modules register handlers for exactly these objects
// (so validation and documentation share one source), and openapi.ts turns the list
// into the OpenAPI document. Each route names the role it needs in `x-duckmig-role`.
// Long because it is a table, one entry an operation, read as the API's one description.
import { createRoute, z } from '@hono/zod-openapi';
import {
  ADMIN_PREFIX,
  API_PREFIX,
  ApprovalDecisionResponse,
  ApprovalsResponse,
  ApproveRequest,
  RejectRequest,
  WithdrawRequest,
  CancelResponse,
  DryRunRequest,
  DriftResponse,
  EnqueuedResponse,
  ErrorBody,
  HistoryExportQuery,
  HistoryQuery,
  HistoryResponse,
  HistoryRun,
  JobView,
  LiveMessage,
  PendingSqlResponse,
  PlanDifference,
  RestoreRequest,
  LiveSchema,
  RunRequest,
  UndoPreviewRequest,
  UndoRequest,
  SCHEMA_PREFIX,
  ScheduledRunsResponse,
  WebhookDeliveriesResponse,
  SchemaDiffResponse,
  SchemaPendingResponse,
  VersionSchema,
  SessionCheckResponse,
  SessionRequest,
  StatusResponse,
  StatusSummary,
  StatusView,
  WhoAmIResponse,
  type Role,
} from '../../contract/index.js';

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const ERRORS = {
  400: json(ErrorBody, 'Malformed JSON, unknown fields or wrong types (details: the zod issues)'),
  401: json(ErrorBody, 'No token, or an invalid token or session (WWW-Authenticate: Bearer)'),
  403: json(ErrorBody, 'The token\'s role is too low for this route; or a request from another origin (cross-origin), or a cookie request without X-Duckmig-Request (custom-header-required)'),
  404: json(ErrorBody, 'Unknown job'),
  409: json(ErrorBody, 'A run or restore job is already waiting or active (details.jobId), or the queue is paused (queue-paused)'),
  413: json(ErrorBody, 'Request body larger than the limit'),
  415: json(ErrorBody, 'Body is not application/json'),
  429: json(ErrorBody, 'Rate limit for this token exceeded, or too many failed authentications from this client (Retry-After)'),
  502: json(ErrorBody, 'The worker published a snapshot this API cannot read'),
  503: json(ErrorBody, 'Redis cannot be reached'),
} as const;

type ErrorStatus = keyof typeof ERRORS;
export const errors = <const S extends ErrorStatus[]>(...statuses: S) =>
  Object.fromEntries(statuses.map((status) => [status, ERRORS[status]])) as Pick<typeof ERRORS, S[number]>;

const READ_ERRORS = errors(401, 403, 503);
const WRITE_ERRORS = errors(400, 401, 403, 413, 415, 429, 503);

export const describe = (role: Role, text: string) => `${text}\n\nRequires role \`${role}\` or higher.`;

const JobIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '6f1c2a9e-8d4b-4c55-9e0a-2b7f3d1e4a10' }),
});

const EventsQuery = z.object({
  jobId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: 'jobId', in: 'query' }, description: 'only messages about this job (status messages always)' }),
});

const WaitQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .optional()
    .openapi({ param: { name: 'wait', in: 'query' }, description: 'seconds to wait for the job to finish (max 60)' }),
});

export const runRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/run`,
  tags: ['migrations'],
  operationId: 'runMigrations',
  summary: 'Enqueue a migration run',
  description: describe(
    'operator',
    'Enqueues a run job. Only one run or restore job may wait or run at a time (a scheduled run included). With `plan` (a dry-run\'s `planId`, or a pending migration\'s `planId`) the run applies exactly that plan: when the pending files differ, the answer is 409 `plan-changed` with the difference in `details`, and the worker checks again before applying anything. With `at` the run is scheduled (a delayed job, `scheduledFor` in the answer). With a maintenance window configured, a run outside it is scheduled for the next opening (policy `wait`) or refused with the next opening in `details.nextWindowAt` (policy `refuse`: 409 for a run now, 422 for an `at` outside every window). The worker refuses a run on a database whose schema drifted from what its applied migrations produce (the job fails with errorCode `drifted`, nothing applied) unless `allowDrift` is true.',
  ),
  'x-duckmig-role': 'operator' as const,
  request: { body: { content: { 'application/json': { schema: RunRequest } }, required: false } },
  responses: {
    202: json(EnqueuedResponse, 'Enqueued'),
    ...WRITE_ERRORS,
    409: json(
      ErrorBody.extend({ error: ErrorBody.shape.error.extend({ details: z.union([PlanDifference, z.unknown()]).optional() }) }),
      'A run or restore job is already waiting, scheduled or active (`run-in-progress`, details.jobId), the pinned plan changed (`plan-changed`, details: which files changed, were added or removed), or no maintenance window is open now and the policy is refuse (`outside-maintenance-window`, details.nextWindowAt)',
    ),
    422: json(ErrorBody, '`at` is in the past or more than 30 days ahead (`at-in-past`, `at-too-far`), or outside every maintenance window under policy refuse (`outside-maintenance-window`, details.nextWindowAt)'),
  },
});

export const dryRunRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/dry-run`,
  tags: ['migrations'],
  operationId: 'dryRunMigrations',
  summary: 'Enqueue a dry run (plan, and a rehearsal that rolls back)',
  description: describe('operator', 'With `?wait=N` the answer waits up to N seconds and carries the finished job inline (200).'),
  'x-duckmig-role': 'operator' as const,
  request: { query: WaitQuery, body: { content: { 'application/json': { schema: DryRunRequest } }, required: false } },
  responses: {
    200: json(JobView, 'Finished within ?wait: the job, result included'),
    202: json(EnqueuedResponse, 'Enqueued (or still running after ?wait)'),
    ...WRITE_ERRORS,
    409: json(ErrorBody, 'The queue is paused (queue-paused): no job would start'),
  },
});

export const undoPreviewRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/undo/preview`,
  tags: ['migrations'],
  operationId: 'previewUndo',
  summary: 'Enqueue an undo preview: the down scripts rehearsed on a copy of the database',
  description: describe(
    'operator',
    'Runs the down scripts of every migration applied above `to` (newest first) on a copy of the database, which is then discarded. The result (`mode` `undo-preview`) carries the schema diff, `undo.dropped` (the tables and columns the down scripts drop, with their row counts on the live database) and a `planId` to pin the undo to. When a migration in the range has no down script the job fails with `down-missing` and `undo.restoreOffer` names the restore point to go back to instead. With `?wait=N` the answer waits up to N seconds and carries the finished job inline (200).',
  ),
  'x-duckmig-role': 'operator' as const,
  request: { query: WaitQuery, body: { content: { 'application/json': { schema: UndoPreviewRequest } }, required: true } },
  responses: {
    200: json(JobView, 'Finished within ?wait: the job, result included'),
    202: json(EnqueuedResponse, 'Enqueued (or still running after ?wait)'),
    ...WRITE_ERRORS,
    409: json(ErrorBody, 'The queue is paused (queue-paused): no job would start'),
  },
});

export const undoRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/undo`,
  tags: ['migrations'],
  operationId: 'undoMigrations',
  summary: 'Enqueue an undo: run the down scripts back to a version',
  description: describe(
    'admin',
    'Undo drops what the down scripts drop, data included, so it needs an admin token (as a restore does). Runs the down scripts of every migration applied above `to`, newest first, each in one transaction with its ledger row (status `undone`); a restore point is taken first when restore points are on. Shares the single-in-flight rule with run and restore jobs. Preview first (`POST …/undo/preview`) and pass its `planId` as `plan`: the worker refuses the undo (`plan-changed`) when the down scripts or the applied migrations changed since. A migration without a down script refuses the whole undo (`down-missing`) and the job\'s result offers a restore point instead (`undo.restoreOffer`). With approvals on (`DUCKMIG_APPROVALS` `all`, or `destructive` and a down script of the previewed plan is destructive, or the plan is no longer known) the undo must name its `plan` (422 `plan-required`) and waits for another admin like a run: 202 with `awaitingApproval: true`.',
  ),
  'x-duckmig-role': 'admin' as const,
  request: { body: { content: { 'application/json': { schema: UndoRequest } }, required: true } },
  responses: { 202: json(EnqueuedResponse, 'Enqueued (`awaitingApproval` when it waits for another admin)'), ...WRITE_ERRORS, 409: ERRORS[409], 422: json(ErrorBody, 'Approvals are on and the request names no `plan` (`plan-required`): preview the undo first') },
});

export const restoreRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/restore`,
  tags: ['migrations'],
  operationId: 'restoreDatabase',
  summary: 'Enqueue a restore from a restore point',
  description: describe('admin', 'Shares the single-in-flight rule with run jobs.'),
  'x-duckmig-role': 'admin' as const,
  request: { body: { content: { 'application/json': { schema: RestoreRequest } }, required: true } },
  responses: { 202: json(EnqueuedResponse, 'Enqueued'), ...WRITE_ERRORS, 409: ERRORS[409] },
});

const StatusQuery = z.object({
  view: StatusView.default('summary').openapi({
    param: { name: 'view', in: 'query' },
    description: '`summary` (default): versions, pending migrations by name, problem counts, worker liveness and queue counts, with an ETag. `full`: the whole snapshot (ledger, runs, restore points, pending details) with snapshot and heartbeat ages, never 304.',
  }),
});

export const statusRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/status`,
  tags: ['migrations'],
  operationId: 'getStatus',
  summary: 'Schema status (from the worker\'s snapshot), worker liveness and queue counts',
  description: describe(
    'viewer',
    'Read from Redis only; the API never opens the database. The summary carries an `ETag` that changes only when the snapshot, the worker\'s liveness (online, busy with) or the queue changes: send it back in `If-None-Match` to get 304 without a body.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { query: StatusQuery },
  responses: {
    200: json(z.union([StatusSummary, StatusResponse]), 'The summary (default) or, with `view=full`, the full status'),
    304: { description: 'The summary has not changed since the ETag in If-None-Match (no body)' },
    ...READ_ERRORS,
    502: ERRORS[502],
  },
});

export const driftRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/drift`,
  tags: ['migrations'],
  operationId: 'getDrift',
  summary: 'Schema drift: how the live schema differs from what the applied migrations produce',
  description: describe(
    'viewer',
    'The worker\'s last drift check (at its start, after every run or restore, and every DUCKMIG_DRIFT_CHECK_MS), from its snapshot: `extra` objects exist only in the live database, `missing` ones only in the migrations\' replay, `changed` ones differ (`expected` is the replay\'s definition, `actual` the live one). `drift` is null until the worker has checked.',
  ),
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(DriftResponse, 'The last drift check'), ...READ_ERRORS, 502: ERRORS[502] },
});

const PendingSqlParams = z.object({
  version: z.coerce
    .number()
    .int()
    .min(0)
    .openapi({ param: { name: 'version', in: 'path' }, example: 5 }),
});

/** a page of a file's statements (a pending migration's, a fleet target's pending file's) */
export const PageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0).openapi({ param: { name: 'offset', in: 'query' }, description: 'first statement (0-based)' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ param: { name: 'limit', in: 'query' }, description: 'statements per page (max 100)' }),
});

export const pendingSqlRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/pending/{version}/sql`,
  tags: ['migrations'],
  operationId: 'getPendingSql',
  summary: 'One page of a pending migration\'s statements (each capped in size)',
  description: describe(
    'viewer',
    'The status lists pending migrations without SQL; this pages through one migration\'s statements as the worker published them. Each statement\'s `sql` is at most `statementPreviewBytes` bytes (`truncated` and `sizeBytes` tell the rest).',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { params: PendingSqlParams, query: PageQuery },
  responses: {
    200: json(PendingSqlResponse, 'The page'),
    ...READ_ERRORS,
    400: ERRORS[400],
    404: json(ErrorBody, 'The version is not pending, or its SQL is not published (yet)'),
    502: ERRORS[502],
  },
});

export const historyRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/history`,
  tags: ['migrations'],
  operationId: 'getHistory',
  summary: 'Runs and ledger (from the database, via the snapshot) and recent queue jobs',
  description: describe(
    'viewer',
    'Runs are those the worker published (its most recent ones), most recent first, narrowed by the filters and paged with `limit`/`offset`; `total` counts every matching run. Queue jobs are the 50 most recent, newest first.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { query: HistoryQuery },
  responses: { 200: json(HistoryResponse, 'History'), ...READ_ERRORS, 400: ERRORS[400], 502: ERRORS[502] },
});

export const historyExportRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/history/export`,
  tags: ['migrations'],
  operationId: 'exportHistory',
  summary: 'Every run matching the history filters, as CSV or JSON (a download)',
  description: describe(
    'viewer',
    'The same filters as the history, without paging. CSV follows RFC 4180 (fields with commas, quotes or line breaks are quoted, quotes doubled; text starting with = + - @ is prefixed with an apostrophe); migrations are `version:status` separated by spaces.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { query: HistoryExportQuery },
  responses: {
    200: {
      content: { 'text/csv': { schema: z.string() }, 'application/json': { schema: z.array(HistoryRun) } },
      description: 'The matching runs, most recent first (Content-Disposition: attachment)',
    },
    ...READ_ERRORS,
    400: ERRORS[400],
    502: ERRORS[502],
  },
});

export const jobRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/jobs/{id}`,
  tags: ['jobs'],
  operationId: 'getJob',
  summary: 'One job: state, progress, result, logs',
  description: describe('viewer', 'Poll this, or follow the live channel.'),
  'x-duckmig-role': 'viewer' as const,
  request: { params: JobIdParams },
  responses: { 200: json(JobView, 'The job'), ...READ_ERRORS, 400: ERRORS[400], 404: ERRORS[404] },
});

export const cancelRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/jobs/{id}/cancel`,
  tags: ['jobs'],
  operationId: 'cancelJob',
  summary: 'Cancel a job',
  description: describe(
    'operator',
    'A waiting job is removed (200). An active job is asked to stop (202): the worker interrupts the statement and rolls back the migration. A finished job gives 409.',
  ),
  'x-duckmig-role': 'operator' as const,
  request: { params: JobIdParams },
  responses: {
    200: json(CancelResponse, 'The job was waiting and has been removed'),
    202: json(CancelResponse, 'The job is active; the worker was asked to cancel it'),
    ...WRITE_ERRORS,
    404: ERRORS[404],
    409: json(ErrorBody, 'The job has already finished'),
  },
});

export const approvalsRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/approvals`,
  tags: ['approvals'],
  operationId: 'listApprovals',
  summary: 'Run requests awaiting approval, and recent decisions',
  description: describe(
    'viewer',
    'With `DUCKMIG_APPROVALS` set to `all` or `destructive`, run requests wait here with their pinned plan and its migrations until another admin approves or rejects them, or their requester withdraws them. `youMayDecide`/`whyNot` say whether the caller may decide. `decided` lists recent decisions as the database keeps them.',
  ),
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(ApprovalsResponse, 'Awaiting and decided approvals'), ...READ_ERRORS },
});

const DECISION_ERRORS = {
  ...WRITE_ERRORS,
  404: json(ErrorBody, 'No run request with this id is awaiting approval (`approval-not-found`)'),
  409: json(ErrorBody, 'The request was decided already (`approval-decided`)'),
} as const;

export const approveRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/approvals/{id}/approve`,
  tags: ['approvals'],
  operationId: 'approveRun',
  summary: 'Approve a run request',
  description: describe(
    'admin',
    'Queues the run with its pinned plan: it runs as usual, and is refused as `plan-changed` when the pending files changed since it was requested. The requester cannot approve their own run: 403 `self-approval`.',
  ),
  'x-duckmig-role': 'admin' as const,
  request: { params: JobIdParams, body: { content: { 'application/json': { schema: ApproveRequest } }, required: false } },
  responses: { 200: json(ApprovalDecisionResponse, 'Approved: the run is queued'), ...DECISION_ERRORS, 403: json(ErrorBody, 'Not an admin (`forbidden`), or the admin requested this run (`self-approval`)') },
});

export const rejectRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/approvals/{id}/reject`,
  tags: ['approvals'],
  operationId: 'rejectRun',
  summary: 'Reject a run request (a comment is required)',
  description: describe(
    'admin',
    'Ends the request without applying anything; its job fails with `approval-rejected` and the database records who rejected it and why. The requester cannot reject their own run: 403 `self-approval` (they withdraw it instead).',
  ),
  'x-duckmig-role': 'admin' as const,
  request: { params: JobIdParams, body: { content: { 'application/json': { schema: RejectRequest } }, required: true } },
  responses: { 200: json(ApprovalDecisionResponse, 'Rejected'), ...DECISION_ERRORS, 403: json(ErrorBody, 'Not an admin (`forbidden`), or the admin requested this run (`self-approval`)') },
});

export const withdrawRoute = createRoute({
  method: 'post',
  path: `${ADMIN_PREFIX}/approvals/{id}/withdraw`,
  tags: ['approvals'],
  operationId: 'withdrawRun',
  summary: 'Withdraw one\'s own run request before a decision',
  description: describe('operator', 'Only the requester may withdraw (403 `not-requester`); the job fails with `approval-withdrawn` and the database records it.'),
  'x-duckmig-role': 'operator' as const,
  request: { params: JobIdParams, body: { content: { 'application/json': { schema: WithdrawRequest } }, required: false } },
  responses: { 200: json(ApprovalDecisionResponse, 'Withdrawn'), ...DECISION_ERRORS, 403: json(ErrorBody, 'Not the requester (`not-requester`)') },
});

export const eventsWsRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/events`,
  tags: ['live'],
  operationId: 'liveEventsWebSocket',
  summary: 'Live channel (WebSocket): one LiveMessage JSON per text frame',
  description: describe('viewer', 'Upgrade with the Authorization header or the session cookie. A status message comes first.'),
  'x-duckmig-role': 'viewer' as const,
  request: { query: EventsQuery },
  responses: {
    101: { description: 'Switching protocols; frames carry LiveMessage JSON' },
    426: json(ErrorBody, 'Not a WebSocket upgrade request (use …/events/sse for plain HTTP)'),
    ...READ_ERRORS,
  },
});

export const eventsSseRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/events/sse`,
  tags: ['live'],
  operationId: 'liveEventsSse',
  summary: 'Live channel (Server-Sent Events): one LiveMessage JSON per data: line',
  description: describe('viewer', 'Same messages as the WebSocket. Comment lines (": ping") keep idle connections open.'),
  'x-duckmig-role': 'viewer' as const,
  request: { query: EventsQuery },
  responses: { 200: { content: { 'text/event-stream': { schema: LiveMessage } }, description: 'Event stream' }, ...READ_ERRORS },
});

export const whoamiRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/whoami`,
  tags: ['session'],
  operationId: 'whoami',
  summary: 'The caller\'s token name and role',
  description: describe('viewer', 'Works with the bearer token or the session cookie.'),
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(WhoAmIResponse, 'Who you are'), 401: ERRORS[401] },
});

export const sessionCheckRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/session`,
  tags: ['session'],
  operationId: 'sessionCheck',
  security: [{}, { cookieAuth: [] }, { bearerAuth: [] }],
  summary: 'Whether the caller is signed in, and as whom (200 signed out too)',
  description:
    'The admin UI asks this first: without a cookie, or with one whose session has ended (the answer clears it), it says `signedIn: false` instead of a 401. An invalid bearer token is still refused (401).',
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(SessionCheckResponse, 'Signed in or not'), ...errors(401, 429, 503) },
});

export const signInRoute = createRoute({
  method: 'post',
  path: `${API_PREFIX}/session`,
  tags: ['session'],
  operationId: 'signIn',
  security: [],
  summary: 'Sign in: set the duckmig_session cookie (HttpOnly, SameSite=Strict)',
  description:
    'The token comes in the body (`{"token": "…"}`) or the Authorization header. The cookie holds the id of a session kept on the server (Redis), never the token itself. Failed attempts count towards the client\'s throttle (429).',
  'x-duckmig-role': 'viewer' as const,
  request: { body: { content: { 'application/json': { schema: SessionRequest } }, required: false } },
  responses: { 200: json(WhoAmIResponse, 'Signed in; Set-Cookie carries the session'), ...errors(400, 401, 403, 413, 415, 429, 503) },
});

export const signOutRoute = createRoute({
  method: 'delete',
  path: `${API_PREFIX}/session`,
  tags: ['session'],
  operationId: 'signOut',
  summary: 'Sign out: end the session and clear its cookie',
  description: describe('viewer', 'Ends the session on the server (the cookie value is refused from then on) and clears the cookie in this browser. With the cookie, send `X-Duckmig-Request: 1`.'),
  'x-duckmig-role': 'viewer' as const,
  responses: { 204: { description: 'Signed out' }, 401: ERRORS[401] },
});

export const liveSchemaRoute = createRoute({
  method: 'get',
  path: SCHEMA_PREFIX,
  tags: ['schema'],
  operationId: 'getLiveSchema',
  summary: 'The live schema: tables (columns, constraints, indexes, row counts), views, macros, sequences',
  description: describe(
    'viewer',
    'Published by the worker under its own Redis key at start-up and after every job that changed the database (runs and restores), so it is as fresh as the status. Row counts: DuckDB\'s estimate for every table, count(*) for small ones. duckmig\'s ledger tables are left out (`excluded`).',
  ),
  'x-duckmig-role': 'viewer' as const,
  responses: {
    200: json(LiveSchema, 'The live schema'),
    ...READ_ERRORS,
    404: json(ErrorBody, 'The worker has not published the schema yet (schema-not-published)'),
    502: json(ErrorBody, 'The worker published a schema this API cannot read'),
  },
});

const VersionParams = z.object({
  version: z.coerce
    .number()
    .int()
    .min(0)
    .openapi({ param: { name: 'version', in: 'path' }, example: 3 }),
});

const SchemaWaitQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .default(5)
    .openapi({ param: { name: 'wait', in: 'query' }, description: 'seconds to wait for a replay that is not cached yet (default 5, max 60)' }),
});

const REPLAY_ERRORS = {
  404: json(ErrorBody, 'The version is not applied (version-not-applied)'),
  409: json(ErrorBody, 'The queue is paused (queue-paused): no replay would start'),
  422: json(ErrorBody, 'Replaying the applied files failed, e.g. a file changed since it was applied (schema-replay-failed; details.jobId)'),
  502: ERRORS[502],
} as const;

export const versionSchemaRoute = createRoute({
  method: 'get',
  path: `${SCHEMA_PREFIX}/versions/{version}`,
  tags: ['schema'],
  operationId: 'getSchemaAtVersion',
  summary: 'The schema at an applied version (its applied files replayed on an empty database)',
  description: describe(
    'viewer',
    'The worker replays the applied files 1..version on an empty in-memory DuckDB (a `schema-at` job) and caches the schema for as long as those files are what the ledger says was applied. When it is not cached, the answer waits up to `?wait` seconds for the replay, then gives 202 and the job to follow. Version 0 is the empty schema.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { params: VersionParams, query: SchemaWaitQuery },
  responses: {
    200: json(VersionSchema, 'The schema at that version'),
    202: json(EnqueuedResponse, 'The replay is still running: follow the job, then ask again'),
    ...READ_ERRORS,
    400: ERRORS[400],
    ...REPLAY_ERRORS,
  },
});

const DiffQuery = SchemaWaitQuery.extend({
  from: z.coerce.number().int().min(0).openapi({ param: { name: 'from', in: 'query' }, example: 2 }),
  to: z.coerce.number().int().min(0).openapi({ param: { name: 'to', in: 'query' }, example: 4 }),
});

export const schemaDiffRoute = createRoute({
  method: 'get',
  path: `${SCHEMA_PREFIX}/diff`,
  tags: ['schema'],
  operationId: 'getSchemaDiff',
  summary: 'What changed in the schema from one applied version to another',
  description: describe(
    'viewer',
    'Compares the two versions\' replayed schemas (tables, columns, indexes, views, sequences, macros; added, dropped or changed), as the rehearsal\'s schema diff does. Replays not cached yet are started; after `?wait` seconds the answer is 202 with their jobs.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { query: DiffQuery },
  responses: {
    200: json(SchemaDiffResponse, 'The changes'),
    202: json(SchemaPendingResponse, 'Replays still running: follow the jobs, then ask again'),
    ...READ_ERRORS,
    400: ERRORS[400],
    ...REPLAY_ERRORS,
  },
});

export const scheduledRunsRoute = createRoute({
  method: 'get',
  path: `${ADMIN_PREFIX}/scheduled`,
  tags: ['migrations'],
  operationId: 'listScheduledRuns',
  summary: 'Runs waiting for their time or for a maintenance window',
  description: describe('viewer', 'Soonest first, with the configured windows and policy. Cancel one with POST …/jobs/{id}/cancel (it has not started: it is removed and the run slot is free).'),
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(ScheduledRunsResponse, 'The scheduled runs'), ...READ_ERRORS },
});

export const webhookDeliveriesRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/admin/webhooks/deliveries`,
  tags: ['webhooks'],
  operationId: 'listWebhookDeliveries',
  summary: 'The last webhook delivery attempts',
  description: describe('admin', 'Newest first: each attempt\'s event, endpoint (host and id, never the URL), attempt number, HTTP status, duration and error kind.'),
  'x-duckmig-role': 'admin' as const,
  responses: { 200: json(WebhookDeliveriesResponse, 'The delivery log'), ...READ_ERRORS },
});

/** Every documented operation, in document order. */
export const apiRoutes = [
  runRoute,
  dryRunRoute,
  restoreRoute,
  undoPreviewRoute,
  undoRoute,
  scheduledRunsRoute,
  statusRoute,
  driftRoute,
  pendingSqlRoute,
  historyRoute,
  historyExportRoute,
  liveSchemaRoute,
  versionSchemaRoute,
  schemaDiffRoute,
  jobRoute,
  cancelRoute,
  approvalsRoute,
  approveRoute,
  rejectRoute,
  withdrawRoute,
  eventsWsRoute,
  eventsSseRoute,
  whoamiRoute,
  sessionCheckRoute,
  signInRoute,
  signOutRoute,
  webhookDeliveriesRoute,
] as const;
