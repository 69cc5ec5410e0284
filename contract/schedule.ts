// Scheduled runs: runs that wait as delayed jobs, for their `at` time or for the next
// maintenance window to open. Listed by GET …/scheduled, cancelled like any job that
// has not started (POST …/jobs/{id}/cancel removes it).
import { z } from 'zod';
import { PendingMigration } from './results.js';

export const ScheduledRun = z.object({
  jobId: z.string(),
  /** when it is due */
  scheduledFor: z.string(),
  requestedBy: z.string(),
  reason: z.string().nullable(),
  target: z.number().int().nullable(),
  createdAt: z.string(),
  /** the plan the run is pinned to (it applies exactly these files or is refused as plan-changed); null when not pinned */
  plan: z.string().nullable(),
  /**
   * what it would apply, by the worker's latest status: the pinned plan's migrations (none when
   * the files changed since, so it would be refused), else the pending migrations up to its target
   */
  migrations: z.array(PendingMigration),
  /** it also waits for another admin's approval (DUCKMIG_APPROVALS), which must come before it is due */
  awaitingApproval: z.boolean(),
});
export type ScheduledRun = z.infer<typeof ScheduledRun>;

export const ScheduledRunsResponse = z.object({
  /** soonest first */
  runs: z.array(ScheduledRun),
  /** the configured maintenance windows as written (empty: runs may start at any time) */
  windows: z.array(z.string()),
  policy: z.enum(['wait', 'refuse']).nullable(),
});
export type ScheduledRunsResponse = z.infer<typeof ScheduledRunsResponse>;
