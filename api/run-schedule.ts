// When a run requested now (or for `at`) may start: at once, later (a delayed job, until
// its `at` or the next maintenance window), or never (policy refuse: 409 for a run
// requested now, 422 for one scheduled at a closed time, both naming the next opening).
import type { MaintenanceSettings } from '../config/governance.js';
import { nextWindowOpening, windowOpenAt } from '../core/maintenance-window.js';
import { ApiError } from './errors.js';

/** How far ahead a run may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600 * 1000;
/** An `at` this little in the past (clocks differ) means now. */
const PAST_TOLERANCE_MS = 60_000;

export interface RunSchedule {
  delayMs: number;
  /** set when the run waits (delayMs > 0) */
  scheduledFor?: string;
}

export function scheduleRun(at: string | undefined, maintenance: MaintenanceSettings | undefined, now = Date.now()): RunSchedule {
  const requested = at === undefined ? now : Date.parse(at);
  if (requested < now - PAST_TOLERANCE_MS) throw new ApiError(422, 'at-in-past', `"at" (${at}) is in the past`);
  if (requested > now + MAX_SCHEDULE_AHEAD_MS) throw new ApiError(422, 'at-too-far', `"at" (${at}) is more than 30 days ahead`);
  let due = Math.max(requested, now);
  if (maintenance && !windowOpenAt(maintenance.windows, due)) {
    const next = new Date(nextWindowOpening(maintenance.windows, due)).toISOString();
    if (maintenance.policy === 'refuse') {
      const when = at === undefined ? 'now' : `at ${at}`;
      throw new ApiError(at === undefined ? 409 : 422, 'outside-maintenance-window', `runs may not start ${when}: outside the maintenance window; the next one opens at ${next}`, {
        details: { nextWindowAt: next, windows: maintenance.windows.map((w) => w.text) },
      });
    }
    due = Date.parse(next);
  }
  const delayMs = Math.max(0, due - now);
  return delayMs > 0 ? { delayMs, scheduledFor: new Date(due).toISOString() } : { delayMs: 0 };
}
