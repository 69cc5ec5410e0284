// The two doors every live channel serves its messages through, whatever the messages
// are: a WebSocket (one JSON text frame per message) and Server-Sent Events (one `data:`
// line per message, comment pings keeping idle connections open). `follow` subscribes a
// listener and returns the unsubscribe; clients that stop reading are dropped rather
// than buffered without bound.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WSEvents } from 'hono/ws';

export type Follow<M> = (listener: (message: M) => void) => () => void;

export interface SseOptions {
  /** SSE comment ping interval, keeps proxies from closing idle streams */
  keepAliveMs: number;
  /** a client this many messages behind is dropped */
  maxBacklog: number;
}

const MAX_WS_BUFFER = 4 * 1024 * 1024;

/** WebSocket handlers that follow from open to close. */
export function socketEvents<M>(follow: Follow<M>): WSEvents {
  let unsubscribe: (() => void) | undefined;
  return {
    onOpen(_event, ws) {
      unsubscribe = follow((message) => {
        // a client that stops reading is dropped instead of buffering without bound
        if (((ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0) > MAX_WS_BUFFER) {
          ws.close(1013, 'too far behind');
          return;
        }
        ws.send(JSON.stringify(message));
      });
    },
    onClose() {
      unsubscribe?.();
    },
    onError() {
      unsubscribe?.();
    },
  };
}

/** An SSE response that follows until the client goes. */
export function sseResponse<M>(c: Context, follow: Follow<M>, { keepAliveMs, maxBacklog }: SseOptions): Response {
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
    await stream.write(': connected\n\n');
    const unsubscribe = follow((message) => enqueue(() => stream.writeSSE({ data: JSON.stringify(message) })));
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
}
