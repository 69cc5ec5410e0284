// The bodies of GET …/status. The summary (the default) is serialized once per distinct
// state, with its headers, and carries an ETag naming that state (the snapshot's content
// hash, the worker's liveness, the queue), so a poller's repeat costs a string comparison
// and, with If-None-Match, a 304 without a body. The full view splices the snapshot text in as
// validated once per version, with the ages of this moment; it has no ETag because
// those ages change at every request.
import { createHash } from 'node:crypto';
import { EMPTY_PLAN_ID, SUMMARY_PENDING_LIMIT, type StatusSummary } from '../contract/index.js';
import type { StatusState } from './status-state.js';

export interface SummaryAnswer {
  /** a strong entity tag, quoted */
  etag: string;
  body: string;
  /** the 200's headers, Content-Length included */
  headers: Readonly<Record<string, string>>;
  /**
   * the 304's: the same validators and Content-Type, no Content-Length (naive HTTP clients
   * would wait for that many bytes). A cache refreshes what it stored with a 304's headers,
   * so its Content-Type is the 200's (@hono/node-server would add text/plain to one without).
   */
  notModifiedHeaders: Readonly<Record<string, string>>;
}

function summaryAnswer(key: string, state: StatusState): SummaryAnswer {
  const etag = `"s1-${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`;
  const body = JSON.stringify(summarize(state));
  const notModifiedHeaders = { ETag: etag, 'Cache-Control': 'private, no-cache', 'Content-Type': 'application/json' };
  return { etag, body, headers: { ...notModifiedHeaders, 'Content-Length': String(Buffer.byteLength(body)) }, notModifiedHeaders };
}

export function summarize(state: StatusState): StatusSummary {
  const { snapshot } = state;
  const { worker: liveness, queue, activeJob } = state.rest;
  const status = snapshot?.status;
  return {
    schema: status
      ? {
          currentVersion: status.currentVersion,
          latestVersion: status.latestVersion,
          pendingCount: status.pending.length,
          pending: status.pending.slice(0, SUMMARY_PENDING_LIMIT).map(({ version, name }) => ({ version, name })),
          planId: status.pending.at(-1)?.planId ?? EMPTY_PLAN_ID,
          problems: {
            errors: status.problems.filter((p) => p.severity === 'error').length,
            warnings: status.problems.filter((p) => p.severity === 'warning').length,
          },
          generatedAt: status.generatedAt,
          publishedAt: snapshot.publishedAt,
        }
      : null,
    worker: { online: liveness.online, busyWith: liveness.busyWith },
    queue,
    activeJob,
  };
}

/** What the summary depends on, as a short string: equal keys, byte-identical summaries. */
function stateKey({ snapshotTag, rest }: StatusState): string {
  const { worker: liveness, queue: q, activeJob } = rest;
  const job = activeJob ? `${activeJob.jobId}\0${activeJob.kind}\0${activeJob.state}` : '';
  return `${snapshotTag}\0${liveness.online}\0${liveness.busyWith ?? ''}\0${q.waiting},${q.active},${q.completed},${q.failed},${q.failedDryRuns},${q.delayed},${q.paused}\0${job}`;
}

/** The summary of the last state asked for, serialized once. */
export class SummaryCache {
  #last: { state: StatusState; key: string; answer: SummaryAnswer } | undefined;

  answer(state: StatusState): SummaryAnswer {
    const last = this.#last;
    // requests that shared one read share one state object: nothing to compare
    if (last?.state === state) return last.answer;
    const key = stateKey(state);
    if (last?.key === key) {
      this.#last = { ...last, state };
      return last.answer;
    }
    const answer = summaryAnswer(key, state);
    this.#last = { state, key, answer };
    return answer;
  }
}

/** True when If-None-Match names this tag (or is `*`); weak tags compare by their value (RFC 9110 13.1.2). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  // a poller sends back the one tag it got
  if (header === etag) return true;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** The full view: the snapshot (tens of KB) spliced in as the text validated once per version. */
export function fullBody(state: StatusState): string {
  return `{"snapshot":${state.snapshotJson},${JSON.stringify(state.rest).slice(1)}`;
}
