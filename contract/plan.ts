// Plan pinning: a plan id names an ordered list of migrations (version + checksum), so a
// run can insist on applying exactly what was previewed. Ids are chained (the worker
// computes them, core/plan.ts): the id of the first i pending migrations is
// sha256(id of the first i-1, version, checksum), so every prefix of the pending list (a
// run up to a target) has its own id, and a published id can be unrolled link by link to
// say what it contained. This module holds what the API and the UI share: the schemas,
// the links, and the difference between two plans (no hashing here: it runs in browsers too).
import { z } from 'zod';

/** The id of the empty plan (nothing to apply): sha256("duckmig-plan-v1"). */
export const EMPTY_PLAN_ID = '53c377e1d3bfbd41d471ce77030801360866b09f16033312382e495501f009df';

export const PlanId = z.string().regex(/^[0-9a-f]{64}$/, 'a plan id is 64 hexadecimal digits (from a dry-run)');

/** One migration of a plan, as much as a difference needs to name it. */
export const PlanEntry = z.object({
  version: z.number().int(),
  name: z.string(),
  file: z.string(),
  checksum: z.string(),
});
export type PlanEntry = z.infer<typeof PlanEntry>;

/** What changed between the previewed plan and the one a run would apply now. */
export const PlanDifference = z.object({
  /** the plan the request pinned */
  expected: z.string(),
  /** the plan a run would apply now */
  current: z.string(),
  /** false when the pinned plan is not known (expired or never previewed): no per-file detail */
  previewKnown: z.boolean(),
  changed: z.array(PlanEntry.extend({ previewedChecksum: z.string() })),
  added: z.array(PlanEntry),
  removed: z.array(PlanEntry),
});
export type PlanDifference = z.infer<typeof PlanDifference>;

/** `current` lists what a run would apply now, `currentId` is its plan id. */
export function planDifference(expected: string, previewed: PlanEntry[] | null, current: PlanEntry[], currentId: string): PlanDifference {
  if (!previewed) return { expected, current: currentId, previewKnown: false, changed: [], added: [], removed: [] };
  const before = new Map(previewed.map((e) => [e.version, e]));
  const now = new Map(current.map((e) => [e.version, e]));
  return {
    expected,
    current: currentId,
    previewKnown: true,
    changed: current.filter((e) => before.has(e.version) && before.get(e.version)!.checksum !== e.checksum).map((e) => ({ ...e, previewedChecksum: before.get(e.version)!.checksum })),
    added: current.filter((e) => !before.has(e.version)),
    removed: previewed.filter((e) => !now.has(e.version)),
  };
}

/** One line per difference, for messages and the CLI. */
export function describePlanDifference(d: PlanDifference): string {
  if (!d.previewKnown) return 'the pending migrations are not the ones of that plan (the plan itself is unknown here: dry-run again)';
  const parts = [
    ...d.changed.map((e) => `${e.file} changed (sha256 ${e.previewedChecksum.slice(0, 12)}… → ${e.checksum.slice(0, 12)}…)`),
    ...d.added.map((e) => `${e.file} added`),
    ...d.removed.map((e) => `${e.file} no longer pending`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'the pending migrations differ from that plan';
}

/** One link of the stored plan chain (Redis hash `plans`): a plan id → its last migration and the plan before it. */
export interface PlanLink extends PlanEntry {
  previous: string;
}

/**
 * What a published plan id contained, in order, by following its links; null when it is
 * not known (never published, expired) or longer than `maxLength`.
 */
export async function readPlan(
  store: { hget(key: string, field: string): Promise<string | null> },
  key: string,
  planId: string,
  maxLength = 10_000,
): Promise<PlanEntry[] | null> {
  const entries: PlanEntry[] = [];
  let id = planId;
  while (id !== EMPTY_PLAN_ID) {
    if (entries.length >= maxLength) return null;
    const raw = await store.hget(key, id);
    if (!raw) return null;
    const { previous, ...entry } = JSON.parse(raw) as PlanLink;
    entries.unshift(entry);
    id = previous;
  }
  return entries;
}
