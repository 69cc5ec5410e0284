// /api/v1/admin/migrations/jobs/:id: one job's view (state, progress, result, logs)
// and cancel (remove when waiting, ask the worker over pub/sub when active). A sub-app
// mounted at JOB_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RedisConnection } from '../../config/redis-connection.js';
import { ADMIN_PREFIX } from '../../contract/index.js';
import { ApiError } from '../errors.js';
import { cancelJob, getJobView, type MigrationQueue } from '../jobs.js';
import type { WorkerKeys } from '../worker-state.js';
import { cancelRoute, jobRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

export const JOB_ROUTES_BASE = `${ADMIN_PREFIX}/jobs`;

export interface JobRoutesDeps {
  queue: MigrationQueue;
  redis: RedisConnection;
  keys: WorkerKeys;
  limiter: MiddlewareHandler;
}

export function jobRoutes({ queue, redis, keys, limiter }: JobRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  app.openapi(relativeTo(JOB_ROUTES_BASE, { ...jobRoute, middleware: guards(jobRoute) }), async function getJob(c) {
    const { id } = c.req.valid('param');
    const view = await getJobView(queue, id, (jobId) => redis.get(keys.cancelledBy(jobId)));
    if (!view) throw new ApiError(404, 'job-not-found', `no job ${id} (finished jobs are kept up to the last 1000)`);
    return c.json(view, 200);
  });

  app.openapi(relativeTo(JOB_ROUTES_BASE, { ...cancelRoute, middleware: guards(cancelRoute, limiter) }), async function cancel(c) {
    const { id } = c.req.valid('param');
    const result = await cancelJob(queue, redis, keys, id, c.get('principal').name);
    return c.json(result, result.outcome === 'removed' ? 200 : 202);
  });
  return app;
}
