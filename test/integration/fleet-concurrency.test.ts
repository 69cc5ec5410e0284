// Specification (docs/fleet.md › Shards and leases: the owner consumes the shard's queue
// "DUCKMIG_FLEET_CONCURRENCY targets at once", each target its own file opened for that job
// only) of a fleet worker's bounded concurrency, observed from outside with a real fleet
// worker process, Redis and DuckDB files: every target's migration keeps DuckDB busy for a
// measurable time, and the test follows the fleet's live channel (`fleet:target-start`,
// then the target's `fleet:target` outcome) and the outcomes' own times (`finishedAt` less
// `durationMs`) of a fleet run whose one wave holds every target:
// - DUCKMIG_FLEET_CONCURRENCY=1: never two targets in flight, one after the other;
// - DUCKMIG_FLEET_CONCURRENCY=2: two targets do run at the same moment, and never three;
// and the owner announces its concurrency in its ShardState.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardState, TargetOutcome, type FleetEvent } from '../../contract/index.js';
import { FleetEvents, requestFleetRun } from '../support/fleet.js';
import { startTestFleet, type TestFleet } from '../support/fleet-workers.js';

const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };
const SERIAL = ['s0', 's1', 's2', 's3'];
const PAIRED = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

const MIGRATIONS = {
  // CPU-bound work (a few hundred ms on one DuckDB thread) that leaves one small row behind
  '001_digest.sql': "CREATE TABLE digest AS SELECT count(*) AS hits FROM range(3000000) WHERE md5(CAST(range AS VARCHAR)) LIKE 'ff%';\n",
};

let fleet: TestFleet;
let events: FleetEvents;

beforeAll(async () => {
  fleet = await startTestFleet({ targets: [...SERIAL, ...PAIRED], migrations: MIGRATIONS });
  events = await FleetEvents.open(fleet.redis.url, prefixes.keyPrefix);
}, 60_000);

afterAll(async () => {
  events?.close();
  await fleet?.stop();
});

interface Observed {
  /** most targets in flight at once, from the live channel's starts and outcomes in order */
  maxInFlight: number;
  /** each target's [start, end] in ms, from its outcome */
  spans: Map<string, [number, number]>;
  outcomes: TargetOutcome[];
}

/** A one-wave fleet run over `ids` on the running worker, followed on the live channel. */
async function observeRun(ids: string[]): Promise<Observed> {
  const from = events.events.length;
  const runId = (await requestFleetRun(fleet.client, prefixes, { mode: 'run', select: { ids }, waves: [{}] }))!;
  expect(runId).not.toBeNull();
  const run = await events.finished(runId);
  expect(run.status).toBe('succeeded');
  const mine = events.events.slice(from).filter((e): e is Extract<FleetEvent, { type: 'fleet:target' | 'fleet:target-start' }> => (e.type === 'fleet:target' || e.type === 'fleet:target-start') && e.runId === runId);
  // each target starts once and ends once, its start announced before its outcome
  expect(mine.filter((e) => e.type === 'fleet:target-start').map((e) => e.id).sort()).toEqual([...ids].sort());
  let inFlight = 0;
  let maxInFlight = 0;
  const started = new Set<string>();
  for (const e of mine) {
    if (e.type === 'fleet:target-start') {
      started.add(e.id);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
    } else {
      expect(started.has(e.outcome.id), `${e.outcome.id} ended before it started`).toBe(true);
      inFlight--;
    }
  }
  const outcomes = Object.values(await fleet.client.hgetall(fleet.keys.runTargets(runId))).map((json) => TargetOutcome.parse(JSON.parse(json)));
  expect(outcomes.map((o) => o.result)).toEqual(ids.map(() => 'succeeded'));
  const spans = new Map(outcomes.map((o) => [o.id, [Date.parse(o.finishedAt) - o.durationMs, Date.parse(o.finishedAt)] as [number, number]]));
  return { maxInFlight, spans, outcomes };
}

/** ms two spans share */
const overlap = (a: [number, number], b: [number, number]) => Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
/** clock rounding between an outcome's wall-clock end and its monotonic duration */
const SLACK_MS = 5;

/** The most spans that share one moment (beyond the slack). */
function mostAtOnce(spans: [number, number][]): number {
  return Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start + SLACK_MS && e > start + SLACK_MS).length));
}

async function shardState(): Promise<ShardState> {
  return ShardState.parse(JSON.parse((await fleet.client.hget(fleet.keys.shards, 'shard-a'))!));
}

describe('DUCKMIG_FLEET_CONCURRENCY', () => {
  it('1: the worker runs one target at a time', async () => {
    const worker = await fleet.startWorker('worker-serial', { DUCKMIG_FLEET_CONCURRENCY: '1', DUCKMIG_FLEET_SCAN_MS: '3600000' });
    try {
      await worker.waitForOutput('"event":"fleet:consuming"');
      expect((await shardState()).concurrency).toBe(1);
      const seen = await observeRun(SERIAL);
      expect(seen.maxInFlight).toBe(1);
      const spans = [...seen.spans.values()].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0], 'a target started before the previous one ended').toBeGreaterThanOrEqual(spans[i - 1]![1] - SLACK_MS);
      expect(mostAtOnce(spans)).toBe(1);
    } finally {
      await worker.kill('SIGTERM');
    }
  }, 40_000);

  it('2: the worker runs two targets at the same moment, and never three', async () => {
    const worker = await fleet.startWorker('worker-pair', { DUCKMIG_FLEET_CONCURRENCY: '2', DUCKMIG_FLEET_SCAN_MS: '3600000' });
    try {
      await worker.waitForOutput('"event":"fleet:consuming"');
      expect((await shardState()).concurrency).toBe(2);
      const seen = await observeRun(PAIRED);
      expect(seen.maxInFlight).toBe(2);
      const spans = [...seen.spans.values()];
      expect(mostAtOnce(spans)).toBe(2);
      // really at once, not two neighbours touching: two targets shared a good part of their work
      const shared = Math.max(...spans.flatMap((a, i) => spans.slice(i + 1).map((b) => overlap(a, b))));
      const shortest = Math.min(...spans.map(([s, e]) => e - s));
      expect(shared, JSON.stringify(seen.outcomes)).toBeGreaterThan(shortest / 2);
    } finally {
      await worker.kill('SIGTERM');
    }
  }, 40_000);
});
