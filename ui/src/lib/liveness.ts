// How fresh the worker's word is: the API gives its last heartbeat while it is alive,
// and the age of its last status snapshot (at fetch time) once the heartbeat expired.
import type { WorkerLiveness } from './types.js';

/** how long ago the worker last reported, at `now`: its heartbeat, else its status snapshot */
export function workerReportAge(worker: WorkerLiveness, receivedAt: number, now: number): { ms: number; what: 'heartbeat' | 'status report' } | null {
  if (worker.lastHeartbeatAt) {
    const at = Date.parse(worker.lastHeartbeatAt);
    if (!Number.isNaN(at)) return { ms: Math.max(0, now - at), what: 'heartbeat' };
  }
  if (worker.snapshotAgeMs !== null) return { ms: worker.snapshotAgeMs + Math.max(0, now - receivedAt), what: 'status report' };
  return null;
}
