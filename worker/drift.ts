// The worker's drift checks: one check with its log lines (drift found, drift gone, the
// check impossible) and its `drift.found` notification (when a database that was not
// known to drift does), which jobs call for one, and the runner of checks: now and then
// (DUCKMIG_DRIFT_CHECK_MS) and on request (after a job that may have changed the schema),
// never two at once. The check itself is core/drift.ts; its report rides on the status
// snapshot.
import type { Logger } from 'pino';
import { describeDrift, type DriftReport, type NotificationInput } from '../contract/index.js';
import type { DatabaseOwner } from './database-owner.js';

/** The webhook event for drift just found: the version and the first differences. */
export function driftFound(report: DriftReport): NotificationInput {
  const message = `schema drift: ${describeDrift(report.differences)} (the live schema differs from what migrations 1..${report.version} produce)`;
  return { event: 'drift.found', toVersion: report.version, message: message.slice(0, 2_000) };
}

/**
 * The drift report now (logged when the database drifts or comes back in line, announced
 * with `notify` when it drifts and the previous report did not say so); the last one when
 * the check itself failed.
 */
export async function checkedDrift(owner: DatabaseOwner, previous: DriftReport | null, log: Logger, notify?: (input: NotificationInput) => Promise<void>): Promise<DriftReport | null> {
  let report: DriftReport;
  try {
    report = await owner.checkDrift();
  } catch (err) {
    log.warn({ err, event: 'drift:check-failed' }, 'drift check failed; the last report stays');
    return previous;
  }
  if (report.error) {
    log.warn({ event: 'drift:unknown', reason: report.error }, `drift not checked: ${report.error}`);
  } else if (report.drifted) {
    log.warn(
      { event: 'drift:detected', differences: report.differences.length, durationMs: report.durationMs },
      `schema drift: ${describeDrift(report.differences)} (the live schema differs from what migrations 1..${report.version} produce)`,
    );
    if (!previous?.drifted) await notify?.(driftFound(report));
  } else if (previous?.drifted) {
    log.info({ event: 'drift:cleared', durationMs: report.durationMs }, 'no schema drift any more');
  }
  return report;
}

export interface DriftChecks {
  /** checks as soon as the check in progress (if any) ended */
  soon(): void;
  /** no more checks; waits for the one in progress */
  stop(): Promise<void>;
}

/** Runs `check` every `everyMs` (0: never on a schedule) and on request, one at a time. */
export function driftChecks(everyMs: number, check: () => Promise<void>, log: Logger): DriftChecks {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const start = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((err: unknown) => log.debug({ err }, 'drift check not published'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          start();
        }
      });
  };
  const timer = everyMs > 0 ? setInterval(start, everyMs) : null;
  timer?.unref();
  return {
    soon: start,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
