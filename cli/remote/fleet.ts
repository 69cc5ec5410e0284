// `duckmig fleet status|run|dry-run|pause|resume|cancel|retry-failed --api URL --token T`:
// the fleet through a running API (remote only). run, dry-run and retry-failed start a
// fleet run and return its id, or with --wait follow it to its end with a progress bar
// and exit by how it ended: 0 succeeded, 1 failed, 5 halted, 6 cancelled. Controls take
// a run id, or act on the fleet run in flight.
import {
  FLEET_PREFIX,
  type FleetControlResponse,
  type FleetRun,
  type FleetRunDetail,
  type FleetRunRequest,
  type FleetStatusResponse,
} from '../../contract/index.js';
import { parse } from '../args.js';
import type { CommandContext } from '../commands/types.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { printJson, stderr, type Out } from '../output.js';
import { RemoteError, type ApiClient } from './client.js';
import { followFleetRun } from './fleet-follow.js';
import { fleetOptions, parseHalt, parseSample, parseSelect, parseWaves } from './fleet-options.js';
import { createFleetProgressView, renderFleetRunEnd, renderFleetStatus } from './fleet-view.js';
import { connection, timeoutOf } from './index.js';

/** how many failed targets the end of a followed run lists (the API pages the rest) */
const FAILED_SHOWN = 20;

const SUBCOMMANDS = ['status', 'run', 'dry-run', 'pause', 'resume', 'cancel', 'retry-failed'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** How a fleet run that ended exits the CLI. */
export function fleetExitCode(run: FleetRun): number {
  switch (run.status) {
    case 'succeeded':
      return EXIT.ok;
    case 'halted':
      return EXIT.halted;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

function runSettings(v: Values): Pick<FleetRunRequest, 'waves' | 'halt' | 'reason' | 'allowDrift'> {
  return {
    ...(v.waves !== undefined && { waves: parseWaves(v.waves as string) }),
    ...(v.halt !== undefined && { halt: parseHalt(v.halt as string) }),
    ...(v.reason !== undefined && { reason: v.reason as string }),
    ...(v['allow-drift'] === true && { allowDrift: true }),
  };
}

async function activeRunId(client: ApiClient): Promise<string> {
  const status = await client.request<FleetStatusResponse>('GET', `${FLEET_PREFIX}/status`);
  if (!status.activeRun) throw new RemoteError('no fleet run is in flight (give its id to act on an earlier one)', EXIT.failed);
  return status.activeRun.id;
}

async function started(client: ApiClient, run: FleetRun, out: Out, v: Values): Promise<number> {
  if (!v.wait) {
    if (v.json) printJson(run, out);
    else out.write(`fleet run ${run.id} queued (${run.mode})\nfollow it: duckmig fleet … --wait, or GET ${FLEET_PREFIX}/runs/${run.id}\n`);
    return EXIT.ok;
  }
  if (!v.json) out.write(`fleet run ${run.id} queued (${run.mode})\n`);
  const tty = Boolean(process.stderr.isTTY);
  const view = v.json ? null : createFleetProgressView(tty ? stderr : out, { tty, columns: process.stderr.columns });
  let end: FleetRun;
  try {
    end = await followFleetRun({ client, runId: run.id, timeoutMs: timeoutOf(v.timeout as string | undefined), onEvent: (e) => view?.event(e) });
  } finally {
    view?.done();
  }
  if (v.json) printJson(end, out);
  else out.write(renderFleetRunEnd(end, end.counts.failed > 0 ? (await client.request<FleetRunDetail>('GET', `${FLEET_PREFIX}/runs/${end.id}?result=failed&limit=${FAILED_SHOWN}`)).outcomes : []));
  return fleetExitCode(end);
}

export async function fleetCommand(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values, positionals } = parse(argv, fleetOptions, true);
  const v = values as Values;
  const [sub, ...args] = positionals;
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(sub ? `unknown fleet subcommand "${sub}"` : 'which fleet subcommand? status, run, dry-run, pause, resume, cancel or retry-failed');
  const subcommand = sub as Subcommand;
  const client = connection({ api: v.api as string | undefined, token: v.token as string | undefined }, ctx.env);
  try {
    switch (subcommand) {
      case 'status': {
        const status = await client.request<FleetStatusResponse>('GET', `${FLEET_PREFIX}/status`);
        if (v.json) printJson(status, out);
        else out.write(renderFleetStatus(status, client.baseUrl));
        return EXIT.ok;
      }
      case 'run':
      case 'dry-run': {
        if (args.length) throw new UsageError(`fleet ${subcommand} takes no arguments (select targets with --select)`);
        const request: FleetRunRequest = {
          mode: subcommand,
          ...runSettings(v),
          ...(v.select !== undefined && { select: parseSelect(v.select as string[]) }),
          ...(v.sample !== undefined && { sample: parseSample(v.sample as string) }),
          ...(v['migrations-id'] !== undefined && { migrationsId: v['migrations-id'] as string }),
        };
        return await started(client, await client.request<FleetRun>('POST', `${FLEET_PREFIX}/runs`, request), out, v);
      }
      case 'retry-failed': {
        const [runId, ...extra] = args;
        if (!runId || extra.length) throw new UsageError('fleet retry-failed takes exactly one fleet run id');
        const run = await client.request<FleetRun>('POST', `${FLEET_PREFIX}/runs/${encodeURIComponent(runId)}/retry-failed`, runSettings(v));
        return await started(client, run, out, v);
      }
      case 'pause':
      case 'resume':
      case 'cancel': {
        if (args.length > 1) throw new UsageError(`fleet ${subcommand} takes at most one fleet run id`);
        const runId = args[0] ?? (await activeRunId(client));
        const answer = await client.request<FleetControlResponse>('POST', `${FLEET_PREFIX}/runs/${encodeURIComponent(runId)}/${subcommand}`);
        if (v.json) printJson(answer, out);
        else out.write(answer.outcome === 'applied' ? `fleet run ${runId} had not started: ${answer.run.status}\n` : `asked the coordinator to ${subcommand} fleet run ${runId}\n`);
        return EXIT.ok;
      }
    }
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    const runId = err.details && typeof err.details === 'object' && 'runId' in err.details ? String((err.details as { runId: unknown }).runId) : null;
    stderr.write(`duckmig fleet ${subcommand}: ${err.message}\n${runId ? `  in flight: fleet run ${runId}\n` : ''}`);
    return err.exitCode;
  }
}
