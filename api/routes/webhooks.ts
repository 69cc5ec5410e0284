// /api/v1/admin/webhooks: the delivery log of notifications (admins only). Deliveries
// themselves happen in the worker (notify/delivery-worker.ts). A sub-app mounted at
// WEBHOOK_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RedisConnection } from '../../config/redis-connection.js';
import { API_PREFIX, WEBHOOK_DELIVERIES_KEPT } from '../../contract/index.js';
import { readDeliveries } from '../../notify/delivery-log.js';
import { webhookDeliveriesRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

export const WEBHOOK_ROUTES_BASE = `${API_PREFIX}/admin/webhooks`;

export function webhookRoutes({ redis, logKey }: { redis: RedisConnection; logKey: string }): OpenAPIHono {
  const app = routeGroup();
  app.openapi(relativeTo(WEBHOOK_ROUTES_BASE, { ...webhookDeliveriesRoute, middleware: guards(webhookDeliveriesRoute) }), async function webhookDeliveries(c) {
    return c.json({ deliveries: await readDeliveries(redis, logKey), keep: WEBHOOK_DELIVERIES_KEPT }, 200);
  });
  return app;
}
