// The CPU one status poll costs the API, measured so that machine load does not change it:
// requests one at a time over one keep-alive socket (each waits for the answer before the
// next), the serving process's CPU time over `--count` of them, next to the Hono floor's,
// interleaved over `--reps` repetitions. Method and numbers: docs/benchmarks.md (status-cpu).
import { Agent, request } from 'node:http';
import { ADMIN_PREFIX } from '../contract/index.js';
import { REPO_ROOT, startSystem } from '../test/support/system.js';
import { median, type BenchContext, type BenchReport, type Benchmark } from './benchmark.js';
import { startFloorServer } from './load.js';
import { cpuMsOf } from './process-stats.js';
import { ratio } from './table.js';

const DEFAULT_REQUESTS = 5_000;
const WARMUP_REQUESTS = 2_000;
/** the summary poll's CPU per request against the Hono floor's */
const GOAL_RATIO = 1.3;
const STATUS_PATH = `${ADMIN_PREFIX}/status`;

interface Target {
  id: string;
  label: string;
  pid: number;
  url: string;
  headers: Record<string, string>;
  status: number;
}

/** `count` GETs one after another on one socket; throws on an unexpected status. */
async function sequential(target: Target, count: number): Promise<void> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: target.headers, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === target.status ? resolve() : reject(new Error(`${target.label} answered ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

export const statusCpuBench: Benchmark = {
  name: 'status-cpu',
  summary: 'CPU per status poll (summary, 304), one request at a time, vs the Hono floor',
  async run(ctx: BenchContext): Promise<BenchReport> {
    const count = ctx.options.count ?? DEFAULT_REQUESTS;
    ctx.log('starting redis-server and the API (test/support/system.ts, no worker)');
    const sys = await startSystem({ apiOnly: true });
    try {
      const url = `${sys.url}${STATUS_PATH}`;
      const auth = { authorization: `Bearer ${sys.tokens.viewer}` };
      const first = await fetch(url, { headers: auth });
      const etag = first.headers.get('etag');
      if (first.status !== 200 || !etag) throw new Error(`GET ${STATUS_PATH} answered ${first.status}${etag ? '' : ' without an ETag'}`);
      const body: unknown = await first.json();
      const floor = await startFloorServer('hono', body, REPO_ROOT);
      try {
        const api = sys.api.pid!;
        const revalidate = { ...auth, 'if-none-match': etag };
        const targets: Target[] = [
          { id: 'floor', label: 'floor: Hono, the summary body (c.json)', pid: floor.pid, url: floor.url, headers: {}, status: 200 },
          { id: 'summary', label: 'GET …/status (summary)', pid: api, url, headers: auth, status: 200 },
          { id: '304', label: 'GET …/status, If-None-Match → 304', pid: api, url, headers: revalidate, status: 304 },
          { id: 'app-summary', label: 'GET …/status?view=summary (through Hono)', pid: api, url: `${url}?view=summary`, headers: auth, status: 200 },
          { id: 'app-304', label: 'GET …/status?view=summary, If-None-Match → 304 (through Hono)', pid: api, url: `${url}?view=summary`, headers: revalidate, status: 304 },
        ];
        ctx.log(`warming up: ${WARMUP_REQUESTS} requests per target`);
        for (const target of targets) await sequential(target, WARMUP_REQUESTS);
        const usPerRequest = new Map<string, number[]>(targets.map((t) => [t.id, []]));
        const reps = Math.max(2, ctx.options.reps);
        for (let rep = 0; rep < reps; rep++) {
          // alternating order, so a slow spell of the machine does not always hit the same target
          for (const target of rep % 2 ? [...targets].reverse() : targets) {
            const before = cpuMsOf(target.pid);
            await sequential(target, count);
            usPerRequest.get(target.id)!.push(((cpuMsOf(target.pid) - before) * 1000) / count);
          }
          ctx.log(`rep ${rep + 1}/${reps}: ${targets.map((t) => `${t.id} ${usPerRequest.get(t.id)!.at(-1)!.toFixed(0)} µs`).join(', ')}`);
        }
        const us = (id: string) => median(usPerRequest.get(id)!);
        const floorUs = us('floor');
        return {
          tables: [
            {
              title: `CPU per request, ${count} requests one at a time over one keep-alive socket, median of ${reps}`,
              columns: ['target', 'CPU/request', 'vs floor', 'each repetition'],
              rows: targets.map((t) => [t.label, `${us(t.id).toFixed(0)} µs`, ratio(us(t.id), floorUs), usPerRequest.get(t.id)!.map((v) => v.toFixed(0)).join(' / ')]),
              footnotes: [
                'CPU/request: the serving process\'s user + system time (/proc, 10 ms ticks) over the requests, per request; the client runs in this process.',
                'The API has no worker here: the summary says there is no schema yet. The rows through Hono take the app\'s route (the query string sends them past the status poll).',
              ],
            },
          ],
          goals: [
            {
              label: `status summary poll CPU/request ≤ ${GOAL_RATIO}× the Hono floor's`,
              met: us('summary') <= GOAL_RATIO * floorUs,
              detail: `summary ${us('summary').toFixed(0)} µs, 304 ${us('304').toFixed(0)} µs, floor ${floorUs.toFixed(0)} µs (${ratio(us('summary'), floorUs)}, ${ratio(us('304'), floorUs)})`,
            },
          ],
          notes: [],
        };
      } finally {
        await floor.stop();
      }
    } finally {
      await sys.stop();
    }
  },
};
