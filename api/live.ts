// The live channel's two doors: WebSocket `…/events` (one LiveMessage JSON per text
// frame) and SSE `…/events/sse` (one per `data:` line), both optionally filtered by
// `?jobId=`, both fed by the process's LiveHub. Each starts with a status message
// (LiveHub.follow); clients that stop reading are dropped rather than buffered.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { UpgradeWebSocket } from 'hono/ws';
import { z } from 'zod';
import type { LiveMessage } from '../contract/index.js';
import { requireRole } from './auth.js';
import { ApiError, invalidRequest } from './errors.js';
import type { LiveHub } from './live-hub.js';
import { socketEvents, sseResponse } from './live-streams.js';
import { eventsSseRoute, eventsWsRoute } from './routes/definitions.js';

export interface LiveRoutesOptions {
  hub: LiveHub;
  upgradeWebSocket: UpgradeWebSocket<unknown>;
  /** SSE comment ping interval, keeps proxies from closing idle streams */
  keepAliveMs?: number;
  /** a client this many messages behind is dropped */
  maxBacklog?: number;
}

const LiveQuery = z.object({ jobId: z.string().min(1).max(200).optional() });

function jobFilter(query: Record<string, string>): { jobId?: string } {
  const parsed = LiveQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest('query', parsed.error.issues);
  return parsed.data;
}

export function registerLiveRoutes(app: OpenAPIHono, { hub, upgradeWebSocket, keepAliveMs = 15_000, maxBacklog = 1_000 }: LiveRoutesOptions): void {
  app.get(
    eventsWsRoute.path,
    requireRole(eventsWsRoute['x-duckmig-role']),
    upgradeWebSocket(function liveSocket(c) {
      const filter = jobFilter(c.req.query());
      return socketEvents<LiveMessage>((listener) => hub.follow(listener, filter));
    }),
    function notAnUpgrade() {
      throw new ApiError(426, 'upgrade-required', 'this is a WebSocket endpoint; use …/events/sse for plain HTTP', {
        headers: { Upgrade: 'websocket' },
      });
    },
  );

  app.get(eventsSseRoute.path, requireRole(eventsSseRoute['x-duckmig-role']), function liveEventsSse(c) {
    const filter = jobFilter(c.req.query());
    return sseResponse<LiveMessage>(c, (listener) => hub.follow(listener, filter), { keepAliveMs, maxBacklog });
  });
}
