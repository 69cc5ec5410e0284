// /api/v1/admin/migrations/jobs/:id: one job's view (state, progress, result, logs)
// and cancel (remove when waiting, ask the worker over pub/sub when active).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { ApiError } from '../errors.js';
import { cancelJob, getJobView, type MigrationQueue } from '../jobs.js';
import type { WorkerKeys } from '../worker-state.js';
import { cancelRoute, jobRoute } from './definitions.js';
import { guards } from './guards.js';

export interface JobRoutesDeps {
  queue: MigrationQueue;
  redis: Redis;
  keys: WorkerKeys;
  limiter: MiddlewareHandler;
}

export function registerJobRoutes(app: OpenAPIHono, { queue, redis, keys, limiter }: JobRoutesDeps): void {
  app.openapi({ ...jobRoute, middleware: guards(jobRoute) }, async function getJob(c) {
    const { id } = c.req.valid('param');
    const view = await getJobView(queue, id);
    if (!view) throw new ApiError(404, 'job-not-found', `no job ${id} (finished jobs are kept up to the last 1000)`);
    return c.json(view, 200);
  });

  app.openapi({ ...cancelRoute, middleware: guards(cancelRoute, limiter) }, async function cancel(c) {
    const { id } = c.req.valid('param');
    const result = await cancelJob(queue, redis, keys, id);
    return c.json(result, result.outcome === 'removed' ? 200 : 202);
  });
}
