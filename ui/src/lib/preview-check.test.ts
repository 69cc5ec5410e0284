import { describe, expect, it } from 'vitest';
import { checkPreview, previewOf, type LastPreview } from './preview-check.js';
import type { JobView, RunResult } from './types.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');

function dryRunJob(state: JobView['state'], result: RunResult | null, failedReason: string | null = null): JobView {
  return {
    id: 'job-1',
    kind: 'dry-run',
    state,
    data: { kind: 'dry-run', requestedBy: 'ada', rehearse: true },
    progress: null,
    result,
    errorCode: result && result.status !== 'success' && result.status !== 'nothing-to-do' ? 'migration-failed' : failedReason ? 'crashed' : null,
    failedReason,
    logs: [],
    createdAt: '2026-12-01T09:57:00Z',
    startedAt: '2026-12-01T09:57:00Z',
    finishedAt: '2026-12-01T09:58:00Z',
  };
}

function rehearsal(status: RunResult['status'], failedMessage?: string): RunResult {
  return {
    runId: 'run-1',
    mode: 'rehearse',
    status,
    startedAt: '2026-12-01T09:57:00Z',
    finishedAt: '2026-12-01T09:58:00Z',
    durationMs: 60_000,
    fromVersion: 5,
    toVersion: 5,
    planId: 'plan-a',
    problems: [],
    migrations: [
      { version: 6, name: 'add_index', file: '006_add_index.sql', checksum: 'c', statements: 1, status: failedMessage ? 'failed' : 'rehearsed', ...(failedMessage && { error: { message: failedMessage } }) },
    ],
  };
}

describe('the run dialog’s preview check', () => {
  it('says there was no preview, without asking for more', () => {
    expect(checkPreview(null, 'plan-a', NOW)).toEqual({ state: 'none', text: 'No preview yet: the batch was not rehearsed.', risky: false });
  });

  it('reports a successful rehearsal of the same plan with its age', () => {
    const last = previewOf(dryRunJob('completed', rehearsal('success')), NOW);
    expect(checkPreview(last, 'plan-a', NOW)).toEqual({ state: 'success', text: 'Rehearsed 2 min ago: success', risky: false });
  });

  it('names the migration a failed preview stopped at and why, and asks for confirmation', () => {
    const last = previewOf(dryRunJob('failed', rehearsal('failed', 'Catalog Error: no table x')), NOW);
    const check = checkPreview(last, 'plan-a', NOW);
    expect(check).toEqual({ state: 'failed', text: 'Preview failed at 006_add_index (2 min ago): Catalog Error: no table x', risky: true });
  });

  it('says the files changed when the plan is not the previewed one, even after a success', () => {
    const last = previewOf(dryRunJob('completed', rehearsal('success')), NOW);
    const check = checkPreview(last, 'plan-b', NOW);
    expect(check.state).toBe('changed');
    expect(check.risky).toBe(true);
    expect(check.text).toMatch(/^Files changed since the preview/);
  });

  it('treats a preview job that failed without a result as failed, with its reason', () => {
    const last = previewOf(dryRunJob('failed', null, 'worker died'), NOW) as LastPreview;
    expect(checkPreview(last, 'plan-a', NOW)).toMatchObject({ state: 'failed', risky: true, text: 'Preview failed (2 min ago): worker died' });
  });

  it('has no outcome while the preview job has not ended', () => {
    expect(previewOf(dryRunJob('active', null), NOW)).toBeNull();
  });
});
