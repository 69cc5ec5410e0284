// Follows one fleet run for the Fleet page: the run in flight, else the latest one. Its
// record and per-target outcomes are read once (and again after every reconnect), then
// kept current by the fleet's live channel (`fleet:run`, `fleet:target-start`,
// `fleet:target`, and `fleet:target-copy` for the restore points being copied); the run is
// read on a poll only while that channel is down and the tab is visible (status-poll.ts),
// as the rest of the UI does.
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { describeError, fleetEventsUrl, type Api } from './api.js';
import { LiveSocket, type ConnectionState } from './live-socket.js';
import { StatusPoll } from './status-poll.js';
import type { FleetEvent, FleetRun, TargetOutcome } from './types.js';

const FINISHED = new Set<FleetRun['status']>(['halted', 'succeeded', 'failed', 'cancelled']);
const EVENT_TYPES = new Set(['fleet:run', 'fleet:target', 'fleet:target-start', 'fleet:target-copy', 'fleet:control']);

/** how far a running target's restore point copy is */
export interface TargetCopy {
  bytes: number;
  bytesDone: number;
}

export const isFinished = (run: FleetRun | null): boolean => run !== null && FINISHED.has(run.status);

/** a frame of the fleet channel as a FleetEvent, or null when it is not one */
function parseFleetEvent(data: unknown): FleetEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const value = JSON.parse(data) as { type?: unknown };
    return value && typeof value === 'object' && typeof value.type === 'string' && EVENT_TYPES.has(value.type) ? (value as FleetEvent) : null;
  } catch {
    return null;
  }
}

/** how often the run is read while the live channel is down */
const FALLBACK_POLL_MS = 3_000;
const OUTCOMES_PAGE = 500;

export class FleetRunFollower {
  readonly #api: Api;
  #run = $state.raw<FleetRun | null>(null);
  #error = $state<string | null>(null);
  #channel = $state.raw<ConnectionState>({ kind: 'stopped' });
  #loaded = $state(false);
  readonly outcomes = new SvelteMap<string, TargetOutcome>();
  readonly running = new SvelteSet<string>();
  /** running targets whose restore point is being copied, by id (only those whose copy takes a moment) */
  readonly copying = new SvelteMap<string, TargetCopy>();
  /** called when a run ends or a new one starts: the fleet's status and targets changed */
  #onChange: () => void;

  constructor(api: Api, onChange: () => void) {
    this.#api = api;
    this.#onChange = onChange;
  }

  get run(): FleetRun | null {
    return this.#run;
  }
  get error(): string | null {
    return this.#error;
  }
  get channel(): ConnectionState {
    return this.#channel;
  }
  /** the first read answered (a fleet without runs shows "no run yet" only then) */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** reads the run to show (the one `runId` names, else the active, else the latest) with its outcomes */
  async load(runId?: string): Promise<void> {
    try {
      const id = runId ?? (await this.#api.fleetStatus()).activeRun?.id ?? (await this.#api.latestFleetRun())?.id;
      if (!id) {
        this.#loaded = true;
        return;
      }
      const outcomes: TargetOutcome[] = [];
      let detail = await this.#api.fleetRun(id, 0, OUTCOMES_PAGE);
      outcomes.push(...detail.outcomes);
      while (outcomes.length < detail.total) {
        detail = await this.#api.fleetRun(id, outcomes.length, OUTCOMES_PAGE);
        if (detail.outcomes.length === 0) break;
        outcomes.push(...detail.outcomes);
      }
      this.#show(detail.run);
      for (const outcome of outcomes) {
        this.outcomes.set(outcome.id, outcome);
        this.running.delete(outcome.id);
        this.copying.delete(outcome.id);
      }
      if (isFinished(detail.run)) this.#clearInFlight();
      this.#error = null;
    } catch (err) {
      this.#error = describeError(err);
    } finally {
      this.#loaded = true;
    }
  }

  /** a run just started from this page: show it at once (its events follow) */
  follow(run: FleetRun): void {
    this.#show(run);
  }

  /** the live channel and its fallback poll, while the page is shown; returns the function that stops them */
  start(): () => void {
    const poll = new StatusPoll({ refresh: () => void this.load(this.#run?.id), intervalMs: FALLBACK_POLL_MS });
    const onVisibility = () => poll.setVisible(document.visibilityState === 'visible');
    onVisibility();
    document.addEventListener('visibilitychange', onVisibility);
    const socket = new LiveSocket<FleetEvent>({
      url: fleetEventsUrl(location),
      parse: parseFleetEvent,
      onMessage: (event) => this.#handle(event),
      onState: (state) => {
        this.#channel = state;
        poll.setChannelOpen(state.kind === 'open');
      },
      // what happened while the channel was down: read it (the first read is load())
      onOpen: ({ reconnect }) => {
        if (reconnect) void this.load(this.#run && !isFinished(this.#run) ? this.#run.id : undefined);
      },
    });
    socket.start();
    void this.load();
    return () => {
      socket.stop();
      poll.stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }

  #show(run: FleetRun): void {
    const previous = this.#run;
    if (previous?.id !== run.id) {
      this.outcomes.clear();
      this.#clearInFlight();
    }
    this.#run = run;
    if (previous?.id !== run.id || isFinished(run) !== isFinished(previous)) this.#onChange();
  }

  #clearInFlight(): void {
    this.running.clear();
    this.copying.clear();
  }

  #handle(event: FleetEvent): void {
    const current = this.#run;
    if (event.type === 'fleet:run') {
      // a newer run replaces a finished one; a run in flight is followed to its end
      if (!current || current.id === event.run.id || isFinished(current)) {
        this.#show(event.run);
        if (isFinished(event.run)) this.#clearInFlight();
      }
      return;
    }
    if (!current || event.runId !== current.id) return;
    if (event.type === 'fleet:target-start') {
      if (!this.outcomes.has(event.id)) this.running.add(event.id);
    } else if (event.type === 'fleet:target-copy') {
      // a sample that arrives after its target's outcome is stale
      if (!this.outcomes.has(event.id)) this.copying.set(event.id, { bytes: event.bytes, bytesDone: event.bytesDone });
    } else if (event.type === 'fleet:target') {
      this.outcomes.set(event.outcome.id, event.outcome);
      this.running.delete(event.outcome.id);
      this.copying.delete(event.outcome.id);
    }
  }
}
