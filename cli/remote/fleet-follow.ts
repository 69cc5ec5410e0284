// Follows one fleet run until it ends: its events over the fleet live channel
// (`…/fleet/events/sse?runId=`), whose first message is the run's current record, so
// nothing before the stream opened is missed and a run that already ended ends the follow
// at once. When the stream cannot be opened or breaks, it polls `…/fleet/runs/:id`.
import { FINISHED_FLEET_RUN_STATUSES, FLEET_PREFIX, FleetEvent, type FleetRun, type FleetRunDetail } from '../../contract/index.js';
import { EXIT } from '../exit-codes.js';
import { RemoteError, type ApiClient } from './client.js';
import { DEFAULT_EVENT, sseEvents } from './sse.js';

export interface FollowFleetRunOptions {
  client: ApiClient;
  runId: string;
  onEvent?: (event: FleetEvent) => void;
  /** give up after this long (null: never) */
  timeoutMs?: number | null;
  pollMs?: number;
}

const finished = (run: FleetRun) => FINISHED_FLEET_RUN_STATUSES.has(run.status);

function parseFleetEvent(text: string): FleetEvent | null {
  try {
    const parsed = FleetEvent.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function followFleetRun({ client, runId, onEvent, timeoutMs = null, pollMs = 1_000 }: FollowFleetRunOptions): Promise<FleetRun> {
  const deadline = timeoutMs === null ? Infinity : Date.now() + timeoutMs;
  let last: FleetRun | null = null;
  const timedOut = () => new RemoteError(`gave up waiting after ${Math.round((timeoutMs ?? 0) / 1000)} s: fleet run ${runId} is still ${last?.status ?? 'unknown'}`, EXIT.failed);
  const controller = new AbortController();
  const stopTimer = deadline === Infinity ? undefined : setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
  try {
    const response = await client.open(`${FLEET_PREFIX}/events/sse?runId=${encodeURIComponent(runId)}`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
      timeoutMs: null,
    });
    if (response.body && (response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      for await (const sse of sseEvents(response.body, { signal: controller.signal })) {
        const event = sse.event === DEFAULT_EVENT ? parseFleetEvent(sse.data) : null;
        if (!event) continue;
        onEvent?.(event);
        if (event.type === 'fleet:run') last = event.run;
        if (last && finished(last)) return last;
      }
    }
  } catch (err) {
    if (Date.now() >= deadline) throw timedOut();
    // a refused token or role would be refused again by polling
    if (err instanceof RemoteError && (err.status === 401 || err.status === 403)) throw err;
    // otherwise the stream broke or never opened: poll instead
  } finally {
    clearTimeout(stopTimer);
    controller.abort();
  }
  for (;;) {
    if (Date.now() >= deadline) throw timedOut();
    const { run } = await client.request<FleetRunDetail>('GET', `${FLEET_PREFIX}/runs/${encodeURIComponent(runId)}?limit=1`);
    if (run.status !== last?.status || JSON.stringify(run.counts) !== JSON.stringify(last.counts)) onEvent?.({ type: 'fleet:run', run });
    last = run;
    if (finished(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
