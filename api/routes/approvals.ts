// /api/v1/admin/migrations/approvals: run and undo requests awaiting approval, and approve,
// reject, withdraw (api/approvals.ts does the work). A sub-app mounted at
// APPROVAL_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RedisConnection } from '../../config/redis-connection.js';
import { ADMIN_PREFIX, type ApprovalPolicy } from '../../contract/index.js';
import { decide, listAwaiting, readUndoPlan } from '../approvals.js';
import type { MigrationQueue } from '../jobs.js';
import type { WorkerKeys, WorkerStateReader } from '../worker-state.js';
import { approvalsRoute, approveRoute, rejectRoute, withdrawRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

/** beside the migration routes: the list itself is …/approvals */
export const APPROVAL_ROUTES_BASE = ADMIN_PREFIX;

export interface ApprovalRoutesDeps {
  queue: MigrationQueue;
  redis: RedisConnection;
  keys: WorkerKeys;
  workerState: WorkerStateReader;
  limiter: MiddlewareHandler;
  policy: ApprovalPolicy;
  runDeadlineMs: number;
}

export function approvalRoutes({ queue, redis, keys, workerState, limiter, policy, runDeadlineMs }: ApprovalRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  const options = { queue, redis, keys, runDeadlineMs };

  app.openapi(relativeTo(APPROVAL_ROUTES_BASE, { ...approvalsRoute, middleware: guards(approvalsRoute) }), async function listApprovals(c) {
    const { snapshot } = await workerState.read();
    const awaiting = await listAwaiting(queue, c.get('principal'), snapshot?.status.pending ?? [], (planId) => readUndoPlan(redis, keys, planId));
    return c.json({ policy, awaiting, decided: snapshot?.approvals ?? [] }, 200);
  });

  app.openapi(relativeTo(APPROVAL_ROUTES_BASE, { ...approveRoute, middleware: guards(approveRoute, limiter) }), async function approveRun(c) {
    const { id } = c.req.valid('param');
    const { comment } = c.req.valid('json') ?? {};
    return c.json(await decide(options, id, c.get('principal'), 'approved', comment), 200);
  });

  app.openapi(relativeTo(APPROVAL_ROUTES_BASE, { ...rejectRoute, middleware: guards(rejectRoute, limiter) }), async function rejectRun(c) {
    const { id } = c.req.valid('param');
    const { comment } = c.req.valid('json');
    return c.json(await decide(options, id, c.get('principal'), 'rejected', comment), 200);
  });

  app.openapi(relativeTo(APPROVAL_ROUTES_BASE, { ...withdrawRoute, middleware: guards(withdrawRoute, limiter) }), async function withdrawRun(c) {
    const { id } = c.req.valid('param');
    const { comment } = c.req.valid('json') ?? {};
    return c.json(await decide(options, id, c.get('principal'), 'withdrawn', comment), 200);
  });
  return app;
}
