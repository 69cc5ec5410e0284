// Keeps a previewed undo's plan for the API: its down scripts and their destructive
// statements under keys.undoPlan(planId) for UNDO_PLAN_TTL_MS, so an undo request pinned
// to it can be classified for approvals (DUCKMIG_APPROVALS=destructive) and its approvers
// shown which down scripts it runs. The API never opens the files, so it cannot tell itself.
import type { RedisConnection } from '../config/redis-connection.js';
import { UNDO_PLAN_TTL_MS, type RunResult, type UndoPlanRecord } from '../contract/index.js';

export async function keepUndoPlan(redis: RedisConnection, keyOf: (planId: string) => string, result: RunResult): Promise<void> {
  if (!result.planId || !result.undo) return;
  const record: UndoPlanRecord = { planId: result.planId, to: result.undo.to, fromVersion: result.fromVersion, steps: result.undo.steps, previewedAt: result.finishedAt };
  await redis.set(keyOf(result.planId), JSON.stringify(record), 'PX', UNDO_PLAN_TTL_MS);
}
