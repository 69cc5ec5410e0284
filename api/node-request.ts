// The node request and response behind a Hono context on @hono/node-server, for the few
// reads and writes that every request makes (a header or two in, the fixed headers out):
// reading a header from the node request's raw header list spares building a web
// Headers object per request (the adapter builds one, validating every header, the first
// time any header is asked for), and a header set on the node response is merged by node
// when the answer is written. Under app.request() (tests) and WebSocket upgrades there is
// no node request or response: callers fall back to Hono's own accessors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

function envField(c: Context, name: 'incoming' | 'outgoing'): unknown {
  const env: unknown = c.env;
  return typeof env === 'object' && env !== null ? (env as Record<string, unknown>)[name] : undefined;
}

/** the node response @hono/node-server serves this request with (absent for app.request() and WebSocket upgrades) */
export function nodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = envField(c, 'outgoing');
  return typeof outgoing === 'object' && outgoing !== null && typeof (outgoing as ServerResponse).setHeader === 'function' ? (outgoing as ServerResponse) : undefined;
}

function nodeRequest(c: Context): IncomingMessage | undefined {
  const incoming = envField(c, 'incoming');
  return typeof incoming === 'object' && incoming !== null && Array.isArray((incoming as IncomingMessage).rawHeaders) ? (incoming as IncomingMessage) : undefined;
}

/** Leading and trailing HTTP whitespace, as the Fetch standard's Headers removes it. */
const OUTER_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * A request header's value as `c.req.header(name)` gives it (the Fetch standard's
 * Headers: case-insensitive name, repeated fields joined with ", ", outer whitespace
 * removed), read from the node request's raw header list when there is one.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeRequest(c);
  return incoming ? rawHeader(incoming, name) : c.req.header(name);
}

/** A header of a node request, as requestHeader() gives it. */
export function rawHeader(incoming: IncomingMessage, name: string): string | undefined {
  const raw = incoming.rawHeaders;
  const wanted = name.toLowerCase();
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length !== wanted.length || key.toLowerCase() !== wanted) continue;
    const field = raw[i + 1]!.replace(OUTER_WHITESPACE, '');
    value = value === undefined ? field : `${value}, ${field}`;
  }
  return value;
}
