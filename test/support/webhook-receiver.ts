// A real HTTP receiver for webhook tests (node:http on a free loopback port): it keeps
// every request (path, headers, raw body) in arrival order and answers each with the
// status its route's `respond` picks (200 unless told otherwise). `signedBody` checks a
// request as docs/governance.md tells receivers to (HMAC of the raw body, headers agree).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookBody } from '../../contract/index.js';
import { messageLog, type MessageLog } from './message-log.js';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  requests: MessageLog<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(respond: (req: ReceivedRequest, earlier: ReceivedRequest[]) => number = () => 200): Promise<WebhookReceiver> {
  const requests = messageLog<ReceivedRequest>((r) => `${r.path} ${String(r.headers['x-duckmig-event'])}`);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const status = respond(received, [...requests.received]);
      requests.push(received);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request's body when its signature verifies with `secret` and its headers match the body; throws otherwise. */
export function signedBody(r: ReceivedRequest, secret: string): WebhookBody {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-duckmig-signature']));
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new Error(`bad signature on ${r.path} ${String(r.headers['x-duckmig-event'])}`);
  const body = WebhookBody.parse(JSON.parse(r.body));
  const agree = r.headers['x-duckmig-event'] === body.event && r.headers['x-duckmig-delivery'] === body.deliveryId && r.headers['x-duckmig-timestamp'] === String(body.timestamp);
  if (!agree) throw new Error(`headers disagree with the signed body: ${JSON.stringify(r.headers)}`);
  return body;
}
