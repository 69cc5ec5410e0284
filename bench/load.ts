// HTTP load for the service benchmark, loopback only and bounded in time: closed-loop
// (autocannon), paced open-loop, and floor servers; why both: docs/benchmarks.md (service).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request, type ClientRequest } from 'node:http';
import autocannon from 'autocannon';
import { percentile } from './benchmark.js';

export interface LoadResult {
  /** completed responses with the expected status (2xx unless the target says) per second over the run */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  /** answers with another status, errors and timeouts */
  failures: number;
  /** bytes of one response body (last seen) */
  bodyBytes: number;
  durationS: number;
  /** for paced runs: the rate asked for */
  targetRps?: number;
}

export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
  /** the status a successful answer has (e.g. 304 for a revalidation); unset: any 2xx */
  expectStatus?: number;
}

const succeeded = (target: LoadTarget, status: number) => (target.expectStatus === undefined ? status >= 200 && status < 300 : status === target.expectStatus);

/** autocannon, `connections` connections, no pipelining, `seconds` long. Latencies from its per-response timings (µs resolution, not its 1 ms histogram). */
export async function closedLoop(target: LoadTarget, connections: number, seconds: number): Promise<LoadResult> {
  const times: number[] = [];
  let bodyBytes = 0;
  let unexpected = 0;
  const instance = autocannon({ url: target.url, connections, pipelining: 1, duration: seconds, headers: target.headers ?? {}, timeout: 10 });
  instance.on('response', (_client, status, resBytes, responseTime) => {
    if (succeeded(target, status)) times.push(responseTime);
    else unexpected++;
    bodyBytes = resBytes;
  });
  const result = await instance;
  return {
    rps: times.length / result.duration,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: percentile(times, 100),
    requests: times.length,
    failures: unexpected + result.errors + result.timeouts,
    bodyBytes,
    durationS: result.duration,
  };
}

/**
 * Sends `rate` requests per second for `seconds`, at most `sockets` at once; latency is
 * counted from each request's due time (a 1 ms timer releases the due ones, so up to
 * ~1 ms of the figure is the generator's own lateness; the floors pay it too). A target
 * that falls behind gets `drainMs` after the window to catch up; requests still
 * unanswered then count as failed, with their wait so far (a lower bound) in the
 * percentiles, so an overloaded target shows as huge latencies, not as fewer requests.
 */
export async function paced(target: LoadTarget, rate: number, seconds: number, sockets: number, drainMs = 2_000): Promise<LoadResult> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const total = Math.round(rate * seconds);
  const times: number[] = [];
  /** due time → request still unanswered (some wait in the agent's queue for a socket) */
  const pending = new Map<number, ClientRequest>();
  let errors = 0;
  let bodyBytes = 0;
  let closed = false;
  let drained: (() => void) | null = null;
  const headers = { ...target.headers };

  const finish = (due: number, ok: boolean) => {
    if (closed || !pending.delete(due)) return;
    if (ok) times.push(performance.now() - due);
    else errors++;
    if (pending.size === 0 && drained) drained();
  };
  const send = (due: number) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        bodyBytes = bytes;
        finish(due, succeeded(target, res.statusCode ?? 0));
      });
    });
    pending.set(due, req);
    req.on('error', () => finish(due, false));
    req.end();
  };

  const start = performance.now();
  const interval = 1000 / rate;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // every request that is due by now goes out, each timed from its own due time
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      // a 1 ms timer, not setImmediate: a spinning client would take a core from the server
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  if (pending.size > 0) {
    await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  }
  const end = performance.now();
  closed = true;
  const completed = times.length;
  // abort what is left, queued ones included: the agent would otherwise send its backlog
  // after this returns, loading the server during whatever is measured next
  for (const [due, req] of pending) {
    times.push(end - due);
    req.destroy();
  }
  agent.destroy();
  const elapsedS = (end - start) / 1000;
  return {
    rps: completed / elapsedS,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: percentile(times, 100),
    requests: completed,
    failures: errors + pending.size,
    bodyBytes,
    durationS: elapsedS,
    targetRps: rate,
  };
}

export interface FloorServer {
  url: string;
  /** the child process serving it (for its CPU time) */
  pid: number;
  stop(): Promise<void>;
}

const NODE_HTTP = `
const http = require('node:http');
const body = Buffer.from(process.env.FLOOR_BODY);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

const HONO = `
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
const value = JSON.parse(process.env.FLOOR_BODY);
const app = new Hono();
app.get('/floor', (c) => c.json(value));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.stdout.write('listening ' + info.port + '\\n'));
`;

/**
 * A floor server in a child process (like the API): `node-http` writes a fixed buffer,
 * `hono` serializes `body` with c.json() on every request, on @hono/node-server.
 */
export async function startFloorServer(kind: 'node-http' | 'hono', body: unknown, cwd: string): Promise<FloorServer> {
  const args = kind === 'hono' ? ['--input-type=module', '-e', HONO] : ['-e', NODE_HTTP];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, FLOOR_BODY: JSON.stringify(body) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} floor server did not start: ${output}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} floor server exited (${code}): ${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/floor`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
