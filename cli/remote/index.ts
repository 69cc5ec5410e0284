// The CLI's remote mode: `duckmig status|run|dry-run|cancel|scheduled|restore|undo|schema|drift --api URL --token T` talks to
// a running duckmig API instead of opening the database (a deploy job's step). run and
// cancel enqueue and return unless --wait; dry-run always waits for its plan. Exit 0 on
// success, 1 when the run failed, was refused or cancelled, 2 on usage errors, 3 when the
// API cannot be reached or refuses the token, 4 when the run request was not approved.
// approve, reject and withdraw decide on a run request awaiting approval.
import {
  ADMIN_PREFIX,
  SCHEMA_PREFIX,
  describeDrift,
  type DriftResponse,
  type EnqueuedResponse,
  type JobProgress,
  type JobView,
  type LiveSchema,
  type ScheduledRunsResponse,
  type SchemaDiffResponse,
  type StatusResponse,
  type VersionSchema,
} from '../../contract/index.js';
import { cliRemote } from '../../config/cli.js';
import { optionsHelp, parse, parseDiff, parsePlan, parseTarget, parseUndoTarget, parseVersion } from '../args.js';
import { approveUsage, cancelUsage, rejectUsage, scheduledUsage, withdrawUsage } from '../commands/server-usage.js';
import type { CommandContext } from '../commands/types.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { driftExitCode } from '../commands/drift.js';
import { ms, printJson, renderDrift, renderProblems, renderRunSummary, renderSchema, renderSchemaDiff, stderr, table, type Out } from '../output.js';
import { ApiClient, RemoteError } from './client.js';
import { followJob } from './follow.js';
import { createProgressView } from './progress-view.js';

export const remoteUsage: Record<string, string> = {
  status: 'duckmig status --api URL --token TOKEN [--json]',
  run: 'duckmig run --api URL --token TOKEN [--target VERSION] [--plan PLAN_ID] [--reason TEXT] [--all-or-nothing] [--allow-drift] [--at ISO_TIME] [--wait [--timeout SECONDS]] [--json]',
  'dry-run': 'duckmig dry-run --api URL --token TOKEN [--target VERSION] [--rehearse] [--timeout SECONDS] [--json]',
  cancel: cancelUsage,
  scheduled: scheduledUsage,
  restore: 'duckmig restore <restore-point-id> --api URL --token TOKEN [--reason TEXT] [--wait [--timeout SECONDS]] [--json]   (admin token)',
  undo: 'duckmig undo --to VERSION --api URL --token TOKEN [--preview | --plan PLAN_ID] [--reason TEXT] [--wait [--timeout SECONDS]] [--json]   (undo: admin token)',
  schema: 'duckmig schema --api URL --token TOKEN [--version N | --diff A..B] [--timeout SECONDS] [--json]',
  drift: 'duckmig drift --api URL --token TOKEN [--json]   (the worker\'s last drift check; exit 1 when drifted)',
  approve: approveUsage,
  reject: rejectUsage,
  withdraw: withdrawUsage,
};

const common = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const waiting = {
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
} as const;

export const optionsFor = {
  status: common,
  run: { ...common, ...waiting, target: { type: 'string' }, plan: { type: 'string' }, reason: { type: 'string' }, 'all-or-nothing': { type: 'boolean', default: false }, 'allow-drift': { type: 'boolean', default: false }, at: { type: 'string' } },
  'dry-run': { ...common, ...waiting, target: { type: 'string' }, rehearse: { type: 'boolean', default: false } },
  cancel: { ...common, ...waiting },
  scheduled: common,
  restore: { ...common, ...waiting, reason: { type: 'string' } },
  undo: { ...common, ...waiting, to: { type: 'string' }, preview: { type: 'boolean', default: false }, plan: { type: 'string' }, reason: { type: 'string' } },
  schema: { ...common, version: { type: 'string' }, diff: { type: 'string' }, timeout: { type: 'string' } },
  drift: common,
  approve: { ...common, comment: { type: 'string' } },
  reject: { ...common, comment: { type: 'string' } },
  withdraw: { ...common, comment: { type: 'string' } },
} as const;

/** Seconds the API may hold one schema request while the worker replays a version (below the client's 30 s). */
const SCHEMA_WAIT_SECONDS = 20;

/** GETs a schema route, asking again while the replay still runs (202), until `timeoutMs`. */
async function untilReplayed<T>(client: ApiClient, path: string, timeoutMs: number | null): Promise<T> {
  const deadline = Date.now() + (timeoutMs ?? 120_000);
  for (;;) {
    const response = await client.open(path);
    if (response.status === 200) return (await response.json()) as T;
    await response.body?.cancel();
    if (Date.now() >= deadline) throw new RemoteError('the worker is still replaying the migrations; ask again later (or give a longer --timeout)', EXIT.failed, response.status);
  }
}

type RemoteCommand = keyof typeof optionsFor;

export function connection(values: { api?: string; token?: string }, env: CommandContext['env']): ApiClient {
  const fromEnv = cliRemote(env);
  const api = values.api ?? fromEnv.api;
  const token = values.token ?? fromEnv.token;
  if (!api) throw new UsageError('--api URL (or DUCKMIG_API) is required in remote mode');
  try {
    const url = new URL(api);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--api must be an http:// or https:// URL, got "${api}"`);
  }
  if (!token) throw new UsageError('--token TOKEN (or DUCKMIG_TOKEN) is required in remote mode');
  return new ApiClient({ baseUrl: api, token });
}

export function timeoutOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--timeout must be a number of seconds, got "${value}"`);
  return Number(value) * 1000;
}

const NOT_APPROVED = new Set(['approval-rejected', 'approval-withdrawn', 'approval-expired']);

/** 0 when the job completed with a successful run, 4 when its request was not approved, 1 otherwise. */
export function exitCodeOf(job: JobView): number {
  const { result } = job;
  if (job.errorCode && NOT_APPROVED.has(job.errorCode)) return EXIT.rejected;
  if (job.state !== 'completed' || job.errorCode) return EXIT.failed;
  return result && (result.status === 'success' || result.status === 'nothing-to-do') ? EXIT.ok : EXIT.failed;
}

function isTty(): { tty: boolean; columns?: number } {
  return { tty: Boolean(process.stderr.isTTY), columns: process.stderr.columns };
}

async function follow(
  client: ApiClient,
  job: { jobId: string } | { enqueue: () => Promise<string> },
  out: Out,
  json: boolean,
  timeoutMs: number | null,
): Promise<JobView> {
  // the live view goes to stderr on a terminal (stdout stays for the summary), else to out
  const { tty, columns } = isTty();
  const view = json ? null : createProgressView(tty ? stderr : out, { tty, columns });
  try {
    return await followJob({
      client,
      ...job,
      timeoutMs,
      onState: (state) => view?.state(state),
      onProgress: (p: JobProgress) => view?.progress(p),
    });
  } finally {
    view?.done();
  }
}

function printOutcome(job: JobView, out: Out, json: boolean): number {
  const { result } = job;
  if (json) {
    printJson(job, out);
    return exitCodeOf(job);
  }
  if (result) {
    if (result.status === 'invalid') stderr.write(renderProblems(result.problems));
    out.write(renderRunSummary(result));
  }
  if (job.state === 'failed' && job.failedReason && (!result || result.status === 'success' || result.status === 'nothing-to-do')) {
    out.write(`FAILED (${job.errorCode ?? 'internal'}): ${job.failedReason}\n`);
  }
  out.write(`job ${job.id}: ${job.state}\n`);
  return exitCodeOf(job);
}

/** The line saying a run or undo waits for approval (empty when it does not). */
function awaiting(enqueued: EnqueuedResponse, what: 'run' | 'undo' = 'run'): string {
  return enqueued.awaitingApproval ? `${what} ${enqueued.jobId} awaits approval: another admin must approve it (duckmig approve ${enqueued.jobId} --comment …)\n` : '';
}

export function renderStatus(s: StatusResponse, baseUrl: string): string {
  const lines: string[] = [`api        ${baseUrl}`];
  const w = s.worker;
  lines.push(
    `worker     ${w.online ? `online${w.busyWith ? `, running job ${w.busyWith}` : ', idle'}` : `OFFLINE${w.lastHeartbeatAt ? ` (last heartbeat ${w.lastHeartbeatAt})` : ''}`}` +
      (w.snapshotAgeMs !== null ? `; snapshot ${ms(w.snapshotAgeMs)} old` : '; no snapshot yet'),
  );
  const snap = s.snapshot;
  if (snap) {
    const r = snap.status;
    lines.push(`database   ${r.database.path} (${(r.database.sizeBytes / 1024).toFixed(0)} KiB, DuckDB ${r.database.duckdbVersion})`);
    lines.push(`version    ${r.currentVersion} of ${r.latestVersion}${r.pending.length ? `, ${r.pending.length} pending` : ', up to date'}`);
    if (r.legacy) lines.push(`legacy     schema_version {${r.legacy.versions.join(', ')}}; adopted {${r.legacy.adopted.join(', ')}}`);
    if (snap.drift?.drifted) lines.push(`drift      DRIFTED: ${describeDrift(snap.drift.differences)} (duckmig drift shows the diff)`);
  }
  if (s.queue.paused) lines.push('queue      PAUSED: no job starts until it is resumed (bull-board: Resume)');
  lines.push(`queue      waiting ${s.queue.waiting}, active ${s.queue.active}, completed ${s.queue.completed}, failed ${s.queue.failed}`);
  if (s.activeJob) lines.push(`in flight  job ${s.activeJob.jobId} (${s.activeJob.kind}, ${s.activeJob.state})`);
  let text = `${lines.join('\n')}\n\n`;
  if (snap?.status.pending.length) {
    text += table(['pending', 'name', 'statements', 'file'], snap.status.pending.map((p) => [String(p.version), p.name, String(p.statementCount), p.file]));
    text += '\n';
  }
  if (snap) text += renderProblems(snap.status.problems);
  return text;
}

/** `--at`: an ISO 8601 time with an offset (Z or ±HH:MM), sent as is. */
function parseAt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--at must be an ISO 8601 time with an offset, e.g. 2026-12-05T02:00:00Z; got "${value}"`);
  }
  return new Date(value).toISOString();
}

function renderScheduled(answer: ScheduledRunsResponse): string {
  const windows = answer.windows.length ? `maintenance windows: ${answer.windows.join('; ')} (outside them: ${answer.policy})\n` : 'no maintenance window: runs may start at any time\n';
  if (answer.runs.length === 0) return `${windows}no scheduled runs\n`;
  return `${windows}\n${table(['job', 'due', 'requested by', 'reason'], answer.runs.map((r) => [r.jobId, r.scheduledFor, r.requestedBy, r.reason ?? '']))}`;
}

export async function runRemote(name: string, argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  if (!(name in optionsFor)) throw new UsageError(`"${name}" has no remote mode`);
  const command = name as RemoteCommand;
  const { values, positionals } = parse(argv, optionsFor[command], ['cancel', 'restore', 'approve', 'reject', 'withdraw'].includes(command));
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    out.write(`usage: ${remoteUsage[command]}\n\n${optionsHelp(command, optionsFor[command])}`);
    return EXIT.ok;
  }
  const client = connection({ api: v.api as string | undefined, token: v.token as string | undefined }, ctx.env);
  const json = Boolean(v.json);
  const timeoutMs = timeoutOf(v.timeout as string | undefined);

  try {
    switch (command) {
      case 'schema': {
        if (v.version !== undefined && v.diff !== undefined) throw new UsageError('give --version or --diff, not both');
        if (typeof v.diff === 'string') {
          const [from, to] = parseDiff(v.diff);
          const diff = await untilReplayed<SchemaDiffResponse>(client, `${SCHEMA_PREFIX}/diff?from=${from}&to=${to}&wait=${SCHEMA_WAIT_SECONDS}`, timeoutMs);
          if (json) printJson(diff, out);
          else out.write(`from version ${from} to version ${to}\n${renderSchemaDiff(diff.changes)}`);
          return EXIT.ok;
        }
        if (typeof v.version === 'string') {
          const version = parseVersion(v.version, '--version');
          const schema = await untilReplayed<VersionSchema>(client, `${SCHEMA_PREFIX}/versions/${version}?wait=${SCHEMA_WAIT_SECONDS}`, timeoutMs);
          if (json) printJson(schema, out);
          else out.write(`schema at version ${version} (its applied files replayed on an empty database)\n\n${renderSchema(schema)}`);
          return EXIT.ok;
        }
        const live = await client.request<LiveSchema>('GET', SCHEMA_PREFIX);
        if (json) printJson(live, out);
        else out.write(`schema of the database at version ${live.version}\n\n${renderSchema(live)}`);
        return EXIT.ok;
      }
      case 'drift': {
        const { drift } = await client.request<DriftResponse>('GET', `${ADMIN_PREFIX}/drift`);
        if (json) printJson({ drift }, out);
        else out.write(drift ? renderDrift(drift) : 'the worker has not checked for drift yet\n');
        return driftExitCode(drift);
      }
      case 'status': {
        const status = await client.status();
        if (json) printJson(status, out);
        else out.write(renderStatus(status, client.baseUrl));
        return status.snapshot?.status.problems.some((p) => p.severity === 'error') ? EXIT.failed : EXIT.ok;
      }
      case 'run': {
        const body = {
          target: parseTarget(v.target as string | undefined),
          reason: v.reason as string | undefined,
          allOrNothing: v['all-or-nothing'] ? true : undefined,
          plan: parsePlan(v.plan as string | undefined),
          allowDrift: v['allow-drift'] ? true : undefined,
          at: parseAt(v.at as string | undefined),
        };
        if (!v.wait) {
          const enqueued = await client.run(body);
          if (json) printJson(enqueued, out);
          else if (enqueued.scheduledFor) out.write(`${awaiting(enqueued)}scheduled job ${enqueued.jobId} for ${enqueued.scheduledFor}\nlist: duckmig scheduled; cancel: duckmig cancel ${enqueued.jobId}\n`);
          else out.write(`${awaiting(enqueued)}enqueued job ${enqueued.jobId}\nfollow it: GET ${enqueued.statusUrl} (or next time: duckmig run --wait)\n`);
          return EXIT.ok;
        }
        const enqueue = async () => {
          const enqueued = await client.run(body);
          if (!json) out.write(`${awaiting(enqueued)}job ${enqueued.jobId} enqueued\n`);
          return enqueued.jobId;
        };
        return printOutcome(await follow(client, { enqueue }, out, json, timeoutMs), out, json);
      }
      case 'dry-run': {
        const body = { target: parseTarget(v.target as string | undefined), rehearse: Boolean(v.rehearse) };
        const enqueue = async () => {
          const answer = await client.dryRun(body);
          return 'jobId' in answer ? answer.jobId : answer.id;
        };
        return printOutcome(await follow(client, { enqueue }, out, json, timeoutMs), out, json);
      }
      case 'restore': {
        const [restorePointId, ...extra] = positionals;
        if (!restorePointId || extra.length) throw new UsageError('restore takes exactly one restore point id (see `duckmig status --api … --json` → snapshot.restorePoints)');
        const body = { restorePointId, reason: v.reason as string | undefined };
        if (!v.wait) {
          const enqueued = await client.restore(body);
          if (json) printJson(enqueued, out);
          else out.write(`enqueued restore job ${enqueued.jobId}\nfollow it: GET ${enqueued.statusUrl}\n`);
          return EXIT.ok;
        }
        const enqueue = async () => (await client.restore(body)).jobId;
        return printOutcome(await follow(client, { enqueue }, out, json, timeoutMs), out, json);
      }
      case 'undo': {
        const to = parseUndoTarget(v.to as string | undefined);
        if (v.preview) {
          if (v.plan !== undefined) throw new UsageError('give --preview or --plan, not both');
          const enqueue = async () => {
            const answer = await client.previewUndo({ to });
            return 'jobId' in answer ? answer.jobId : answer.id;
          };
          return printOutcome(await follow(client, { enqueue }, out, json, timeoutMs), out, json);
        }
        const body = { to, reason: v.reason as string | undefined, plan: parsePlan(v.plan as string | undefined) };
        if (!v.wait) {
          const enqueued = await client.undo(body);
          if (json) printJson(enqueued, out);
          else out.write(`${awaiting(enqueued, 'undo')}enqueued undo job ${enqueued.jobId}\nfollow it: GET ${enqueued.statusUrl} (or next time: duckmig undo --wait)\n`);
          return EXIT.ok;
        }
        const enqueue = async () => {
          const enqueued = await client.undo(body);
          if (!json) out.write(awaiting(enqueued, 'undo'));
          return enqueued.jobId;
        };
        return printOutcome(await follow(client, { enqueue }, out, json, timeoutMs), out, json);
      }
      case 'scheduled': {
        const answer = await client.scheduled();
        if (json) printJson(answer, out);
        else out.write(renderScheduled(answer));
        return EXIT.ok;
      }
      case 'approve':
      case 'reject':
      case 'withdraw': {
        const [jobId, ...extra] = positionals;
        if (!jobId || extra.length) throw new UsageError(`${command} takes exactly one job id (the run request's)`);
        const comment = v.comment as string | undefined;
        if (command === 'reject' && !comment?.trim()) throw new UsageError('reject needs --comment TEXT: say why');
        const answer = await client.decide(jobId, command, comment);
        if (json) printJson(answer, out);
        else out.write(`run ${jobId} ${answer.decision}${answer.decision === 'approved' ? ': queued to run' : ''}\n`);
        return EXIT.ok;
      }
      case 'cancel': {
        const [jobId, ...extra] = positionals;
        if (!jobId || extra.length) throw new UsageError('cancel takes exactly one job id');
        const answer = await client.cancel(jobId);
        if (!v.wait || answer.outcome === 'removed') {
          if (json) printJson(answer, out);
          else out.write(answer.outcome === 'removed' ? `job ${jobId} had not started: removed\n` : `asked ${answer.workersNotified} worker(s) to cancel job ${jobId}\n`);
          return answer.outcome === 'cancel-requested' && answer.workersNotified === 0 ? EXIT.failed : EXIT.ok;
        }
        const job = await follow(client, { jobId }, out, json, timeoutMs);
        printOutcome(job, out, json);
        // the cancel worked when the job ended without applying everything it meant to
        return job.state === 'failed' ? EXIT.ok : EXIT.failed;
      }
    }
  } catch (err) {
    if (err instanceof RemoteError) {
      if (err.status === 409 && err.details && typeof err.details === 'object' && 'jobId' in err.details) {
        stderr.write(`duckmig ${command}: ${err.message}\n  in flight: job ${String((err.details as { jobId: unknown }).jobId)}\n`);
      } else {
        stderr.write(`duckmig ${command}: ${err.message}\n`);
      }
      return err.exitCode;
    }
    throw err;
  }
}
