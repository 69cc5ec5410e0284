// A real HTTP receiver for webhook tests (node:http on a free loopback port): it keeps
// every request (path, headers, raw body) in arrival order and answers each with the
// status its route's `respond` picks (200 unless told otherwise).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
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
