// Wave planning for a fleet run, pure: from the targets the workers published and the
// run's request, which targets run in which wave. The selection (ids and labels) is sorted
// by id so the same fleet and request always give the same plan; skipped ids leave the
// selection first (so a skipped target is never the canary); a dry-run's sample keeps
// targets spread evenly over the sorted selection; then each WaveSpec takes the next
// `count` targets, or up to its cumulative `percent` of the selection, among the remaining
// targets that carry its labels. Waves that take nothing are left out; targets that no
// wave takes are not part of the run. The first planned wave is the canary.
import { DEFAULT_WAVES, type FleetRunRequest, type Labels, type ShardName, type TargetId, type WaveSpec } from '../../contract/index.js';

export interface FleetTarget {
  id: TargetId;
  shard: ShardName;
  labels: Labels;
}

export interface PlannedTarget {
  id: TargetId;
  shard: ShardName;
}

export interface PlannedWave {
  index: number;
  name: string;
  targets: PlannedTarget[];
}

export interface WavePlan {
  waves: PlannedWave[];
  /** selected, but skipped before the run started */
  skipped: PlannedTarget[];
  /** asked for by id but published by no worker */
  missing: TargetId[];
}

export interface PlanRequest {
  select?: FleetRunRequest['select'];
  waves?: readonly WaveSpec[];
  /** dry-runs: how many targets rehearse, spread over the selection */
  sample?: number;
  /** ids to leave out (skip controls that arrived before the run started) */
  skip?: ReadonlySet<string>;
  /** a retry: only these ids (the failed targets of the earlier run) */
  only?: ReadonlySet<string>;
}

const byId = (a: FleetTarget, b: FleetTarget) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const hasLabels = (labels: Labels, wanted: Labels | undefined): boolean =>
  wanted === undefined || Object.entries(wanted).every(([key, value]) => labels[key] === value);

/** `size` targets evenly spread over `list` (its first one included), in order. */
export function spread<T>(list: readonly T[], size: number): T[] {
  if (size >= list.length) return [...list];
  return Array.from({ length: size }, (_, i) => list[Math.floor((i * list.length) / size)]!);
}

const planned = ({ id, shard }: FleetTarget): PlannedTarget => ({ id, shard });

export function planWaves(targets: readonly FleetTarget[], request: PlanRequest = {}): WavePlan {
  const ids = request.select?.ids ? new Set(request.select.ids) : null;
  const known = new Set(targets.map((t) => t.id));
  const missing = ids ? [...ids].filter((id) => !known.has(id)).sort() : [];
  const selected = targets
    .filter((t) => (ids === null || ids.has(t.id)) && (request.only === undefined || request.only.has(t.id)) && hasLabels(t.labels, request.select?.labels))
    .sort(byId);
  const skipped = selected.filter((t) => request.skip?.has(t.id));
  const kept = selected.filter((t) => !request.skip?.has(t.id));
  let remaining = request.sample === undefined ? kept : spread(kept, request.sample);

  const total = remaining.length;
  let assigned = 0;
  const waves: PlannedWave[] = [];
  (request.waves ?? DEFAULT_WAVES).forEach((spec, position) => {
    const candidates = remaining.filter((t) => hasLabels(t.labels, spec.labels));
    const limit =
      spec.count !== undefined
        ? spec.count
        : spec.percent !== undefined
          ? Math.max(0, Math.floor((total * spec.percent) / 100 + 1e-9) - assigned)
          : candidates.length;
    const taken = candidates.slice(0, limit);
    if (taken.length === 0) return;
    const takenIds = new Set(taken.map((t) => t.id));
    remaining = remaining.filter((t) => !takenIds.has(t.id));
    assigned += taken.length;
    waves.push({ index: waves.length, name: spec.name ?? `wave ${position + 1}`, targets: taken.map(planned) });
  });
  return { waves, skipped: skipped.map(planned), missing };
}
