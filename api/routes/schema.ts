// /api/v1/admin/schema: the live schema (as the worker published it under its own key),
// the schema at an applied version (replayed by a 'schema-at' job, then cached) and the
// diff between two versions. The API never opens DuckDB: it reads Redis and enqueues.
// A sub-app mounted at SCHEMA_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { QueueEvents } from 'bullmq';
import type { RedisConnection } from '../../config/redis-connection.js';
import {
  API_PREFIX,
  LiveSchema,
  VersionSchema,
  diffSchema,
  sameApplied,
  schemaObjects,
  type AppliedFile,
  type EnqueuedResponse,
  type SchemaDiffResponse,
} from '../../contract/index.js';
import { ApiError } from '../errors.js';
import { enqueue, getJobView, refuseWhenPaused, waitForJob, type MigrationJob, type MigrationQueue } from '../jobs.js';
import type { WorkerKeys, WorkerStateReader } from '../worker-state.js';
import { liveSchemaRoute, schemaDiffRoute, versionSchemaRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';
import { enqueuedBody } from './migrations.js';

/** The live schema's route is the base of the others (…/schema): the group sits one level up. */
export const SCHEMA_ROUTES_BASE = `${API_PREFIX}/admin`;

export interface SchemaRoutesDeps {
  queue: MigrationQueue;
  queueEvents: QueueEvents;
  redis: RedisConnection;
  keys: WorkerKeys;
  workerState: WorkerStateReader;
}

type Replay = { version: number; schema: VersionSchema } | { version: number; job: MigrationJob; jobId: string };

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function schemaRoutes(deps: SchemaRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  const { queue, queueEvents, redis, keys, workerState } = deps;
  // the live schema changes once per job but may be large: validate each published text once
  let live: { raw: string; json: string } | undefined;

  /** The files applied up to `version`, by the worker's snapshot; 404 when the version is not applied. */
  async function appliedUpTo(version: number): Promise<AppliedFile[]> {
    const { snapshot } = await workerState.read();
    const applied = (snapshot?.status.applied ?? []).filter((e) => e.version <= version).sort((a, b) => a.version - b.version);
    if (version > 0 && !applied.some((e) => e.version === version)) {
      const known = snapshot?.status.applied.map((e) => e.version) ?? [];
      throw new ApiError(404, 'version-not-applied', `version ${version} is not applied${known.length ? ` (applied: ${known.join(', ')})` : ''}`);
    }
    return applied.map(({ version: v, checksum }) => ({ version: v, checksum }));
  }

  async function cached(version: number, applied: AppliedFile[]): Promise<VersionSchema | null> {
    const raw = await redis.get(keys.schemaAt(version));
    if (raw === null) return null;
    const parsed = VersionSchema.safeParse(parseJson(raw));
    return parsed.success && sameApplied(parsed.data.applied, applied) ? parsed.data : null;
  }

  /** The cached schema, or the replay job that makes it (shared with any other request for the version). */
  async function replay(version: number, requestedBy: string): Promise<Replay> {
    const applied = await appliedUpTo(version);
    const schema = await cached(version, applied);
    if (schema) return { version, schema };
    await refuseWhenPaused(queue);
    const { job, jobId } = await enqueue(queue, { kind: 'schema-at', requestedBy, version, applied });
    return { version, job, jobId };
  }

  /** After waiting: the schema, a 422 when the replay failed, or the job still running. */
  async function settle(r: Replay): Promise<Replay> {
    if ('schema' in r) return r;
    const view = await getJobView(queue, r.jobId);
    if (view?.state === 'failed') {
      throw new ApiError(422, 'schema-replay-failed', view.failedReason ?? `the replay of version ${r.version} failed`, { details: { jobId: r.jobId, version: r.version } });
    }
    const schema = await cached(r.version, await appliedUpTo(r.version));
    return schema ? { version: r.version, schema } : r;
  }

  async function resolve(versions: number[], requestedBy: string, waitSeconds: number): Promise<Replay[]> {
    const replays = await Promise.all(versions.map((v) => replay(v, requestedBy)));
    const running = replays.filter((r) => 'job' in r);
    if (running.length === 0) return replays;
    await Promise.all(running.map((r) => waitForJob(r.job, queueEvents, waitSeconds * 1000)));
    return Promise.all(replays.map(settle));
  }

  const pending = (replays: Replay[]): EnqueuedResponse[] => replays.flatMap((r) => ('jobId' in r ? [enqueuedBody(r.jobId)] : []));

  app.openapi(relativeTo(SCHEMA_ROUTES_BASE, { ...liveSchemaRoute, middleware: guards(liveSchemaRoute) }), async function getLiveSchema(c) {
    const raw = await redis.get(keys.schema);
    if (raw === null) throw new ApiError(404, 'schema-not-published', 'the worker has not published the schema yet (it does at start-up)');
    if (live?.raw !== raw) {
      const parsed = LiveSchema.safeParse(parseJson(raw));
      if (!parsed.success) {
        throw new ApiError(502, 'invalid-schema', 'the worker published a schema this API cannot read', { details: { key: keys.schema, issues: parsed.error.issues.slice(0, 20) } });
      }
      live = { raw, json: JSON.stringify(parsed.data) };
    }
    return c.body(live.json, 200, { 'content-type': 'application/json' }) as unknown as ReturnType<typeof c.json<LiveSchema, 200>>;
  });

  app.openapi(relativeTo(SCHEMA_ROUTES_BASE, { ...versionSchemaRoute, middleware: guards(versionSchemaRoute) }), async function getSchemaAtVersion(c) {
    const { version } = c.req.valid('param');
    const { wait } = c.req.valid('query');
    const [r] = await resolve([version], c.get('principal').name, wait);
    if (r && 'schema' in r) return c.json(r.schema, 200);
    return c.json(pending([r!])[0]!, 202);
  });

  app.openapi(relativeTo(SCHEMA_ROUTES_BASE, { ...schemaDiffRoute, middleware: guards(schemaDiffRoute) }), async function getSchemaDiff(c) {
    const { from, to, wait } = c.req.valid('query');
    const replays = await resolve(from === to ? [from] : [from, to], c.get('principal').name, wait);
    const schemas = replays.flatMap((r) => ('schema' in r ? [r.schema] : []));
    if (schemas.length < replays.length) return c.json({ jobs: pending(replays) }, 202);
    const before = schemas[0]!;
    const after = schemas.at(-1)!;
    const body: SchemaDiffResponse = { from, to, changes: diffSchema(schemaObjects(before), schemaObjects(after)) };
    return c.json(body, 200);
  });
  return app;
}
