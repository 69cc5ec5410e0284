// The HTTP surface of /api/v1/fleet as data, like definitions.ts for the single database:
// one createRoute() per operation, built from the contract's fleet schemas, each naming
// the role it needs in `x-duckmig-role`. Viewers read; operators start, control and retry
// fleet runs. Target ids contain slashes: in a path they are sent encoded (`eu%2Facme`).
import { createRoute, z } from '@hono/zod-openapi';
import {
  ErrorBody,
  FLEET_PREFIX,
  FleetControlResponse,
  FleetEvent,
  FleetEventsQuery,
  FleetRetryRequest,
  FleetRun,
  FleetRunDetail,
  FleetRunQuery,
  FleetRunRequest,
  FleetRunsQuery,
  FleetRunsResponse,
  FleetSkipRequest,
  FleetSqlPage,
  FleetStatusResponse,
  FleetTargetDetail,
  FleetTargetFile,
  FleetTargetsQuery,
  FleetTargetsResponse,
} from '../../contract/index.js';
import { describe, errors, json, PageQuery } from './definitions.js';

const READ_ERRORS = errors(401, 403, 503);
const WRITE_ERRORS = errors(400, 401, 403, 413, 415, 429, 503);
const RUN_NOT_FOUND = json(ErrorBody, 'No such fleet run (fleet-run-not-found)');
const RUN_IN_FLIGHT = json(
  ErrorBody,
  'A fleet run is already in flight (`fleet-run-in-progress`, details.runId): follow it, or cancel it first; or the live owners\' migration files disagree, or differ from the pinned `migrationsId` (`migrations-differ`, details: the ids by shard)',
);

const RunIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '6f1c2a9e-8d4b-4c55-9e0a-2b7f3d1e4a10' }),
});

const TargetIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'eu%2Facme', description: 'the target id, its slashes encoded as %2F' }),
});

const ChecksumParams = z.object({
  checksum: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a checksum is 64 hexadecimal digits (a pending migration\'s `checksum`)')
    .openapi({ param: { name: 'checksum', in: 'path' }, example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
});

export const fleetStatusRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/status`,
  tags: ['fleet'],
  operationId: 'getFleetStatus',
  summary: 'The fleet at a glance: targets by version and health, shards and their owners, the run in flight',
  description: describe(
    'viewer',
    'Read from what the fleet workers publish in Redis (their target states, their shard states) and from the shards\' leases, which say who owns a shard now: a shard without a live lease is offline, and so are its targets. With no fleet worker the fleet is empty, not an error. `migrations.agreed` is false while the live owners\' migration files differ (a run would be refused).',
  ),
  'x-duckmig-role': 'viewer' as const,
  responses: { 200: json(FleetStatusResponse, 'The fleet'), ...READ_ERRORS },
});

export const fleetTargetsRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/targets`,
  tags: ['fleet'],
  operationId: 'listFleetTargets',
  summary: 'The targets, sorted by id, filtered by health, label, shard or version, paged',
  description: describe('viewer', '`health=offline` lists the targets whose shard has no live owner. `label=tier=gold,region=eu` keeps targets carrying every pair.'),
  'x-duckmig-role': 'viewer' as const,
  request: { query: FleetTargetsQuery },
  responses: { 200: json(FleetTargetsResponse, 'One page of targets'), ...READ_ERRORS, 400: errors(400)[400] },
});

export const fleetTargetRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/targets/{id}`,
  tags: ['fleet'],
  operationId: 'getFleetTarget',
  summary: 'One target: its state and its outcomes in the recent fleet runs',
  description: describe('viewer', 'The outcomes come from the 20 most recent fleet runs that touched the target.'),
  'x-duckmig-role': 'viewer' as const,
  request: { params: TargetIdParams },
  responses: { 200: json(FleetTargetDetail, 'The target'), ...READ_ERRORS, 400: errors(400)[400], 404: json(ErrorBody, 'No such target (fleet-target-not-found)') },
});

export const fleetTargetFileRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/targets/{id}/file`,
  tags: ['fleet'],
  operationId: 'readFleetTarget',
  summary: "What the target's owner reads from its file now: ledger, pending migrations, run history, schema",
  description: describe(
    'viewer',
    "The API never opens a target: it asks the shard's owner through the shard queue (a `target-read` job, ahead of the waiting target jobs) and waits up to 15 s for the read. The owner opens the file as a target job does, only while no job of its own holds it, and writes nothing. Rate-limited per token like the mutating routes.",
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { params: TargetIdParams },
  responses: {
    200: json(FleetTargetFile, 'Read from the file just now'),
    ...errors(400, 401, 403, 429, 503),
    404: json(ErrorBody, 'No such target (fleet-target-not-found)'),
    409: json(ErrorBody, 'No worker owns the target now (`fleet-target-offline`), or its owner could not read the file (`target-locked`, `target-unreadable`, `target-missing`)'),
    504: json(ErrorBody, 'The owner did not read the file within 15 s (`fleet-target-busy`: its jobs hold it, or it is overloaded); try again'),
  },
});

export const fleetSqlRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/migrations/{checksum}/sql`,
  tags: ['fleet'],
  operationId: 'getFleetMigrationSql',
  summary: "One page of a migration file's statements, by its checksum (each capped in size)",
  description: describe(
    'viewer',
    "A target's pending migrations (GET …/targets/{id}/file) name their files without SQL; the owner that read the target published the statements of those files under their checksums, kept a week. Each statement's `sql` is at most `statementPreviewBytes` bytes (`truncated` and `sizeBytes` tell the rest).",
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { params: ChecksumParams, query: PageQuery },
  responses: {
    200: json(FleetSqlPage, 'The page'),
    ...READ_ERRORS,
    400: errors(400)[400],
    404: json(ErrorBody, 'No owner has published the SQL of this file lately (`sql-not-published`): read a target that has it pending first'),
  },
});

export const createFleetRunRoute = createRoute({
  method: 'post',
  path: `${FLEET_PREFIX}/runs`,
  tags: ['fleet'],
  operationId: 'createFleetRun',
  summary: 'Start a fleet run or dry-run: selection, waves, halt rule',
  description: describe(
    'operator',
    'Records the run (status `queued`) and hands it to the coordinator, which any fleet worker runs. One fleet run at a time: a second request gets 409 with the run in flight. Waves default to a canary of one target, then up to 10 %, then the rest; any failure in the canary, or more failures in a later wave than `halt.maxFailedPercent`, halts the run.',
  ),
  'x-duckmig-role': 'operator' as const,
  request: { body: { content: { 'application/json': { schema: FleetRunRequest } }, required: true } },
  responses: { 202: json(FleetRun, 'Recorded and handed to the coordinator'), ...WRITE_ERRORS, 409: RUN_IN_FLIGHT },
});

export const fleetRunsRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/runs`,
  tags: ['fleet'],
  operationId: 'listFleetRuns',
  summary: 'Fleet runs, newest first, paged',
  description: describe('viewer', 'Each run\'s record: status, waves, counts.'),
  'x-duckmig-role': 'viewer' as const,
  request: { query: FleetRunsQuery },
  responses: { 200: json(FleetRunsResponse, 'One page of runs'), ...READ_ERRORS, 400: errors(400)[400] },
});

export const fleetRunRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/runs/{id}`,
  tags: ['fleet'],
  operationId: 'getFleetRun',
  summary: 'One fleet run: its record and its per-target outcomes (filtered, paged)',
  description: describe('viewer', 'Outcomes are sorted by wave, then target id; filter them by `result`, `wave` or `errorCode`.'),
  'x-duckmig-role': 'viewer' as const,
  request: { params: RunIdParams, query: FleetRunQuery },
  responses: { 200: json(FleetRunDetail, 'The run'), ...READ_ERRORS, 400: errors(400)[400], 404: RUN_NOT_FOUND },
});

const RUN_FINISHED = json(ErrorBody, 'The run has already ended (fleet-run-finished)');

function controlRoute(action: 'pause' | 'resume' | 'cancel', summary: string, text: string) {
  return createRoute({
    method: 'post',
    path: `${FLEET_PREFIX}/runs/{id}/${action}`,
    tags: ['fleet'],
    operationId: `${action}FleetRun`,
    summary,
    description: describe('operator', text),
    'x-duckmig-role': 'operator' as const,
    request: { params: RunIdParams },
    responses: {
      ...(action === 'cancel' ? { 200: json(FleetControlResponse, 'The run had not started: cancelled at once') } : {}),
      202: json(FleetControlResponse, 'Requested: the coordinator applies it at its next decision point'),
      ...WRITE_ERRORS,
      404: RUN_NOT_FOUND,
      409: RUN_FINISHED,
    },
  });
}

export const pauseFleetRunRoute = controlRoute('pause', 'Pause a fleet run after the wave in flight', 'No new wave starts; the wave in flight finishes. The status turns `paused` once the coordinator applies it.');
export const resumeFleetRunRoute = controlRoute('resume', 'Resume a paused fleet run', 'The next wave starts.');
export const cancelFleetRunRoute = controlRoute(
  'cancel',
  'Cancel a fleet run: no new wave, the remaining targets skipped',
  'A run no worker has picked up yet is cancelled at once (200). Otherwise the coordinator starts no new wave and records the remaining targets as skipped (202); targets in flight finish.',
);

export const skipFleetTargetsRoute = createRoute({
  method: 'post',
  path: `${FLEET_PREFIX}/runs/{id}/skip`,
  tags: ['fleet'],
  operationId: 'skipFleetTargets',
  summary: 'Leave targets out of a fleet run (those not yet dispatched)',
  description: describe('operator', 'The coordinator records them as skipped at its next decision point; targets already dispatched are not affected.'),
  'x-duckmig-role': 'operator' as const,
  request: { params: RunIdParams, body: { content: { 'application/json': { schema: FleetSkipRequest } }, required: true } },
  responses: { 202: json(FleetControlResponse, 'Requested'), ...WRITE_ERRORS, 404: RUN_NOT_FOUND, 409: RUN_FINISHED },
});

export const retryFailedFleetRunRoute = createRoute({
  method: 'post',
  path: `${FLEET_PREFIX}/runs/{id}/retry-failed`,
  tags: ['fleet'],
  operationId: 'retryFailedFleetRun',
  summary: 'Start a new fleet run over the targets that failed in an earlier one',
  description: describe(
    'operator',
    'A new run (its `retryOf` names the earlier one) with the same mode and halt rule unless the body says otherwise, selecting exactly the targets whose outcome was `failed`.',
  ),
  'x-duckmig-role': 'operator' as const,
  request: { params: RunIdParams, body: { content: { 'application/json': { schema: FleetRetryRequest } }, required: false } },
  responses: {
    202: json(FleetRun, 'The new run'),
    ...WRITE_ERRORS,
    404: RUN_NOT_FOUND,
    409: json(ErrorBody, 'A fleet run is in flight (fleet-run-in-progress, details.runId), or the earlier run has no failed target (nothing-to-retry) or has not ended (fleet-run-not-finished)'),
  },
});

export const fleetEventsWsRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/events`,
  tags: ['fleet'],
  operationId: 'fleetEventsWebSocket',
  summary: 'Fleet live channel (WebSocket): one FleetEvent JSON per text frame',
  description: describe(
    'viewer',
    'The first frame is the current record (`fleet:run`) of the run asked for with `?runId=`, or of the active run (none when no run is in flight). Events are lossy by nature: after a reconnect, read the run again.',
  ),
  'x-duckmig-role': 'viewer' as const,
  request: { query: FleetEventsQuery },
  responses: {
    101: { description: 'Switching protocols; frames carry FleetEvent JSON' },
    426: json(ErrorBody, 'Not a WebSocket upgrade request (use …/events/sse for plain HTTP)'),
    ...READ_ERRORS,
  },
});

export const fleetEventsSseRoute = createRoute({
  method: 'get',
  path: `${FLEET_PREFIX}/events/sse`,
  tags: ['fleet'],
  operationId: 'fleetEventsSse',
  summary: 'Fleet live channel (Server-Sent Events): one FleetEvent JSON per data: line',
  description: describe('viewer', 'Same messages as the WebSocket. Comment lines (": ping") keep idle connections open.'),
  'x-duckmig-role': 'viewer' as const,
  request: { query: FleetEventsQuery },
  responses: { 200: { content: { 'text/event-stream': { schema: FleetEvent } }, description: 'Event stream' }, ...READ_ERRORS },
});

/** Every documented fleet operation, in document order. */
export const fleetApiRoutes = [
  fleetStatusRoute,
  fleetTargetsRoute,
  fleetTargetRoute,
  fleetTargetFileRoute,
  fleetSqlRoute,
  createFleetRunRoute,
  fleetRunsRoute,
  fleetRunRoute,
  pauseFleetRunRoute,
  resumeFleetRunRoute,
  cancelFleetRunRoute,
  skipFleetTargetsRoute,
  retryFailedFleetRunRoute,
  fleetEventsWsRoute,
  fleetEventsSseRoute,
] as const;
