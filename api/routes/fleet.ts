// /api/v1/fleet: the fleet's status and targets, fleet runs (start, list, one with its
// outcomes), controls (pause, resume, cancel, skip) and retry-failed. Everything is read
// from and written to Redis as contract/fleet.ts lays it out; the API never opens a
// target (its owner reads it on request: fleet-target-read.ts, and publishes the SQL of the
// target's pending files, which GET …/migrations/{checksum}/sql pages through). Runs start
// through fleet/create-run.ts, the one way every producer does it, and are announced
// (fleet.run.queued; the coordinator announces the rest, and the API the end of a run it
// cancelled before any worker took it). A sub-app mounted at FLEET_ROUTES_BASE (the live
// channel is in fleet-live.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RedisConnection } from '../../config/redis-connection.js';
import {
  FINISHED_FLEET_RUN_STATUSES,
  FLEET_PREFIX,
  FLEET_TARGET_RECENT_RUNS,
  STATEMENT_PREVIEW_BYTES,
  TargetOutcome,
  TargetState,
  type FleetControl,
  type FleetRun,
  type FleetRunRequest,
  type FleetSqlPage,
  type FleetTargetRun,
  type NotificationInput,
  type PlannedStatement,
} from '../../contract/index.js';
import { cancelUnstartedRun, requestControl } from '../../fleet/controls.js';
import { createFleetRun } from '../../fleet/create-run.js';
import type { FleetKeys } from '../../fleet/options.js';
import { openShardQueue, type FleetQueue } from '../../fleet/queue.js';
import { readTargetFile, TARGET_READ_WAIT_MS } from '../fleet-target-read.js';
import { readFleetRun, readFleetRuns, readOutcomes } from '../../fleet/records.js';
import { ApiError } from '../errors.js';
import { fleetStatus, migrationsAgreement, readFleetState } from '../fleet-state.js';
import {
  cancelFleetRunRoute,
  createFleetRunRoute,
  fleetRunRoute,
  fleetRunsRoute,
  fleetStatusRoute,
  fleetSqlRoute,
  fleetTargetFileRoute,
  fleetTargetRoute,
  fleetTargetsRoute,
  pauseFleetRunRoute,
  resumeFleetRunRoute,
  retryFailedFleetRunRoute,
  skipFleetTargetsRoute,
} from './fleet-definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

export const FLEET_ROUTES_BASE = FLEET_PREFIX;

export interface FleetRoutesDeps {
  redis: RedisConnection;
  queue: FleetQueue;
  keys: FleetKeys;
  keyPrefix: string;
  /** the per-token rate limit for mutating routes */
  limiter: MiddlewareHandler;
  /** announces fleet-run events (notify/notifier.ts) */
  notify?: (input: NotificationInput) => Promise<void>;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function notFound(id: string): ApiError {
  return new ApiError(404, 'fleet-run-not-found', `no fleet run ${id}`);
}

export function fleetRoutes(deps: FleetRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  const { redis, queue, keys, keyPrefix, limiter, notify = async () => undefined } = deps;
  const route = <R extends { path: string; 'x-duckmig-role': 'viewer' | 'operator' | 'admin' }>(definition: R, ...extra: MiddlewareHandler[]) =>
    relativeTo(FLEET_ROUTES_BASE, { ...definition, middleware: guards(definition, ...extra) });

  /** The target's published state, or 404. */
  async function targetOr404(id: string): Promise<TargetState> {
    const raw = await redis.hget(keys.targets, id);
    const state = raw === null ? null : TargetState.safeParse(JSON.parse(raw));
    if (!state?.success) throw new ApiError(404, 'fleet-target-not-found', `no target ${id} in the fleet`);
    return state.data;
  }

  async function runOr404(id: string): Promise<FleetRun> {
    const run = await readFleetRun(redis, keys, id);
    if (!run) throw notFound(id);
    return run;
  }

  /** 409 while the live owners' files differ, or differ from the pinned id. */
  async function refuseDifferentMigrations(pinned: string | undefined): Promise<void> {
    const { shards } = await readFleetState(redis, keys);
    const { agreed, ids } = migrationsAgreement(shards);
    if (agreed && (pinned === undefined || ids.every((i) => i.migrationsId === pinned))) return;
    const why = agreed ? `the workers' migration files (${ids[0]?.migrationsId}) are not the pinned ${pinned}` : "the live owners' migration files differ";
    throw new ApiError(409, 'migrations-differ', `${why}; nothing was started`, { details: { pinned: pinned ?? null, ids } });
  }

  async function start(request: FleetRunRequest, requestedBy: string, retryOf?: string): Promise<FleetRun> {
    await refuseDifferentMigrations(request.migrationsId);
    // announced before the coordinator's job exists, so its own events (started, …) come after
    const announce = (run: FleetRun) => notify({ event: 'fleet.run.queued', jobId: run.id, mode: run.mode, requestedBy, ...(run.reason !== undefined && { reason: run.reason }) });
    const answer = await createFleetRun({ redis, queue, keyPrefix }, request, { requestedBy, retryOf, announce });
    if (answer.created) return answer.run;
    const runId = answer.activeRunId;
    throw new ApiError(409, 'fleet-run-in-progress', `fleet run ${runId} is in flight; follow it or cancel it first`, {
      details: { runId, runUrl: `${FLEET_PREFIX}/runs/${encodeURIComponent(runId)}` },
    });
  }

  async function control(id: string, requestedBy: string, action: FleetControl['action'], ids?: string[]) {
    const run = await runOr404(id);
    if (FINISHED_FLEET_RUN_STATUSES.has(run.status)) throw new ApiError(409, 'fleet-run-finished', `fleet run ${id} has already ended (${run.status})`);
    const request: FleetControl = { action, ...(ids && { ids }), requestedBy, at: new Date().toISOString() };
    if (action === 'cancel') {
      const cancelled = await cancelUnstartedRun(redis, keys, queue, run, request);
      if (cancelled) {
        const counts = cancelled.counts;
        await notify({ event: 'fleet.run.failed', jobId: id, mode: run.mode, requestedBy: run.requestedBy, errorCode: 'cancelled', message: `cancelled by ${requestedBy} before any worker took it`, summary: { counts, byResult: {}, failedBy: {} } });
      }
      if (cancelled) return { status: 200 as const, body: { control: request, outcome: 'applied' as const, run: cancelled } };
    }
    await requestControl(redis, keys, id, request);
    return { status: 202 as const, body: { control: request, outcome: 'requested' as const, run } };
  }

  app.openapi(route(fleetStatusRoute), async function getFleetStatus(c) {
    return c.json(await fleetStatus(redis, keys), 200);
  });

  app.openapi(route(fleetTargetsRoute), async function listFleetTargets(c) {
    const { offset, limit, health, label, shard, version } = c.req.valid('query');
    const labels = label?.split(',').map((pair) => pair.split('=') as [string, string]) ?? [];
    const { targets } = await readFleetState(redis, keys);
    const matching = targets.filter(
      (t) =>
        (health === undefined || (health === 'offline' ? !t.online : t.health === health)) &&
        (shard === undefined || t.shard === shard) &&
        (version === undefined || t.version === (version === 'none' ? null : version)) &&
        labels.every(([k, v]) => t.labels[k] === v),
    );
    return c.json({ targets: matching.slice(offset, offset + limit), total: matching.length, offset, limit }, 200);
  });

  app.openapi(route(fleetTargetRoute), async function getFleetTarget(c) {
    const { id } = c.req.valid('param');
    const [state, runIds] = await Promise.all([targetOr404(id), redis.zrevrange(keys.runs, 0, FLEET_TARGET_RECENT_RUNS - 1)]);
    const pipeline = redis.pipeline().exists(keys.lease(state.shard));
    for (const runId of runIds) pipeline.hget(keys.runTargets(runId), id);
    const replies = ((await pipeline.exec()) ?? []) as [unknown, unknown][];
    for (const [err] of replies) if (err) throw err;
    const leased = replies[0]?.[1];
    const outcomes = replies.slice(1);
    const touched = runIds.flatMap((runId, i) => {
      const text = outcomes[i]?.[1];
      if (typeof text !== 'string') return [];
      const outcome = TargetOutcome.safeParse(JSON.parse(text));
      return outcome.success ? [{ runId, outcome: outcome.data }] : [];
    });
    const records = new Map((await readFleetRuns(redis, keys, touched.map((t) => t.runId))).map((r) => [r.id, r]));
    const runs = touched.flatMap(({ runId, outcome }): FleetTargetRun[] => {
      const run = records.get(runId);
      return run ? [{ runId, mode: run.mode, status: run.status, createdAt: run.createdAt, outcome }] : [];
    });
    return c.json({ target: { ...state, online: leased === 1 }, runs }, 200);
  });

  // the shards' queues, opened on first use (a producer on the API's connection: nothing of its own to close)
  const shardQueues = new Map<string, ReturnType<typeof openShardQueue>>();
  const shardQueue = (shard: string) => {
    let q = shardQueues.get(shard);
    if (!q) shardQueues.set(shard, (q = openShardQueue(redis, shard, queue.opts.prefix)));
    return q;
  };

  app.openapi(route(fleetTargetFileRoute, limiter), async function readFleetTarget(c) {
    const { id } = c.req.valid('param');
    const { shard } = await targetOr404(id);
    if ((await redis.exists(keys.lease(shard))) !== 1) throw new ApiError(409, 'fleet-target-offline', `no worker owns shard ${shard} now: its file cannot be read`);
    const read = await readTargetFile(shardQueue(shard), redis, keys, { target: id, requestedBy: c.get('principal').name });
    if (read === null) throw new ApiError(504, 'fleet-target-busy', `the owner of shard ${shard} did not read ${id} within ${TARGET_READ_WAIT_MS / 1000} s: its jobs may hold the file; try again`);
    if (!read.ok) throw new ApiError(409, read.code, read.error);
    return c.json(read.file, 200);
  });

  app.openapi(route(fleetSqlRoute), async function getFleetMigrationSql(c) {
    const { checksum } = c.req.valid('param');
    const { offset, limit } = c.req.valid('query');
    const key = keys.sql(checksum);
    const [[, available], [, page]] = (await redis.multi().llen(key).lrange(key, offset, offset + limit - 1).exec()) as [[unknown, number], [unknown, string[]]];
    if (available === 0) throw new ApiError(404, 'sql-not-published', `no fleet worker has published the SQL of the file with checksum ${checksum.slice(0, 12)}… lately: read a target that has it pending`);
    const body: FleetSqlPage = { checksum, offset, statements: page.map((raw) => JSON.parse(raw) as PlannedStatement), available, statementPreviewBytes: STATEMENT_PREVIEW_BYTES };
    return c.json(body, 200);
  });

  app.openapi(route(createFleetRunRoute, limiter), async function startFleetRun(c) {
    const run = await start(c.req.valid('json'), c.get('principal').name);
    return c.json(run, 202);
  });

  app.openapi(route(fleetRunsRoute), async function listFleetRuns(c) {
    const { offset, limit } = c.req.valid('query');
    const [total, ids] = await Promise.all([redis.zcard(keys.runs), redis.zrevrange(keys.runs, offset, offset + limit - 1)]);
    return c.json({ runs: await readFleetRuns(redis, keys, ids), total, offset, limit }, 200);
  });

  app.openapi(route(fleetRunRoute), async function getFleetRun(c) {
    const { id } = c.req.valid('param');
    const { offset, limit, result, wave, errorCode } = c.req.valid('query');
    const [run, outcomes] = await Promise.all([runOr404(id), readOutcomes(redis, keys, id)]);
    const matching = outcomes
      .filter((o) => (result === undefined || o.result === result) && (wave === undefined || o.wave === wave) && (errorCode === undefined || o.errorCode === errorCode))
      .sort((a, b) => a.wave - b.wave || byId(a, b));
    return c.json({ run, outcomes: matching.slice(offset, offset + limit), total: matching.length, offset, limit }, 200);
  });

  for (const [definition, action] of [
    [pauseFleetRunRoute, 'pause'],
    [resumeFleetRunRoute, 'resume'],
  ] as const) {
    app.openapi(route(definition, limiter), async function controlFleetRun(c) {
      const { status, body } = await control(c.req.valid('param').id, c.get('principal').name, action);
      return c.json(body, status as 202);
    });
  }

  app.openapi(route(cancelFleetRunRoute, limiter), async function cancelFleetRun(c) {
    const { status, body } = await control(c.req.valid('param').id, c.get('principal').name, 'cancel');
    return c.json(body, status);
  });

  app.openapi(route(skipFleetTargetsRoute, limiter), async function skipFleetTargets(c) {
    const { ids } = c.req.valid('json');
    const { status, body } = await control(c.req.valid('param').id, c.get('principal').name, 'skip', ids);
    return c.json(body, status as 202);
  });

  app.openapi(route(retryFailedFleetRunRoute, limiter), async function retryFailedFleetRun(c) {
    const { id } = c.req.valid('param');
    const { reason, waves, halt, restorePoints, allowDrift } = c.req.valid('json') ?? {};
    const earlier = await runOr404(id);
    if (!FINISHED_FLEET_RUN_STATUSES.has(earlier.status)) throw new ApiError(409, 'fleet-run-not-finished', `fleet run ${id} has not ended (${earlier.status}); retry its failed targets once it has`);
    const failed = (await readOutcomes(redis, keys, id)).filter((o) => o.result === 'failed').sort(byId);
    if (failed.length === 0) throw new ApiError(409, 'nothing-to-retry', `fleet run ${id} has no failed target`);
    const request: FleetRunRequest = {
      mode: earlier.mode,
      ...(reason !== undefined && { reason }),
      select: { ids: failed.map((o) => o.id) },
      ...(waves && { waves }),
      halt: halt ?? earlier.halt,
      ...(restorePoints !== undefined && { restorePoints }),
      ...(allowDrift && { allowDrift }),
    };
    return c.json(await start(request, c.get('principal').name, id), 202);
  });
  return app;
}
