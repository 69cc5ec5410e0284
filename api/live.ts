// The live channel's two doors: WebSocket `…/events` (one LiveMessage JSON per text
// frame) and SSE `…/events/sse` (one per `data:` line), both optionally filtered by
// `?jobId=`, both fed by the process's LiveHub. Each starts with a status message
// (LiveHub.follow); clients that stop reading are dropped rather than buffered.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { UpgradeWebSocket } from 'hono/ws';
import { z } from 'zod';
import type { LiveMessage } from '../contract/index.js';
import { requireRole } from './auth.js';
import { ApiError, invalidRequest } from './errors.js';
import type { LiveHub } from './live-hub.js';
import { eventsSseRoute, eventsWsRoute } from './routes/definitions.js';

export interface LiveRoutesOptions {
  hub: LiveHub;
  upgradeWebSocket: UpgradeWebSocket<unknown>;
  /** SSE comment ping interval, keeps proxies from closing idle streams */
  keepAliveMs?: number;
  /** a client this many messages behind is dropped */
  maxBacklog?: number;
}

const MAX_WS_BUFFER = 4 * 1024 * 1024;

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
      let unsubscribe: (() => void) | undefined;
      return {
        onOpen(_event, ws) {
          unsubscribe = hub.follow((message) => {
            // a client that stops reading is dropped instead of buffering without bound
            if (((ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0) > MAX_WS_BUFFER) {
              ws.close(1013, 'too far behind');
              return;
            }
            ws.send(JSON.stringify(message));
          }, filter);
        },
        onClose() {
          unsubscribe?.();
        },
        onError() {
          unsubscribe?.();
        },
      };
    }),
    function notAnUpgrade() {
      throw new ApiError(426, 'upgrade-required', 'this is a WebSocket endpoint; use …/events/sse for plain HTTP', {
        headers: { Upgrade: 'websocket' },
      });
    },
  );

  app.get(eventsSseRoute.path, requireRole(eventsSseRoute['x-duckmig-role']), function liveEventsSse(c) {
    const filter = jobFilter(c.req.query());
    return streamSSE(c, async function pump(stream) {
      // Writes are chained so frames keep their order; a client that stops reading
      // is dropped once too far behind instead of growing memory without bound.
      let chain = Promise.resolve();
      let backlog = 0;
      const enqueue = (frame: () => Promise<unknown>) => {
        if (++backlog > maxBacklog) return stream.abort();
        chain = chain.then(frame).then(
          () => void backlog--,
          () => void backlog--,
        );
      };
      const send = (message: LiveMessage) => enqueue(() => stream.writeSSE({ data: JSON.stringify(message) }));
      await stream.write(': connected\n\n');
      const unsubscribe = hub.follow(send, filter);
      const ping = setInterval(() => enqueue(() => stream.write(': ping\n\n')), keepAliveMs);
      try {
        await new Promise<void>((resolve) => {
          if (stream.aborted) resolve();
          stream.onAbort(resolve);
        });
      } finally {
        clearInterval(ping);
        unsubscribe();
      }
    });
  });
}
