// The app's state, one instance per page load, handed to components through context:
// the API client, the session, the status, live progress, the dry-run preview, history,
// the schema browser, the fleet (when the API reports one), the clock and the route. `connect()` wires the live channel to them while signed in.
import { createContext } from 'svelte';
import { createApi, eventsUrl, type Api, type FetchLike } from './api.js';
import { Clock } from './clock.svelte.js';
import { DryRunStore } from './dry-run.svelte.js';
import { FleetStore } from './fleet.svelte.js';
import { HistoryStore } from './history.svelte.js';
import { LiveChannel } from './live.svelte.js';
import { isInFlight } from './progress.js';
import { Router } from './router.svelte.js';
import { SchemaStore } from './schema.svelte.js';
import { RunTracker } from './run-tracker.svelte.js';
import { Session } from './session.svelte.js';
import { StatusPoll } from './status-poll.js';
import { StatusStore } from './status.svelte.js';
import { isStateMessage } from './system-state.js';
import type { LiveMessage } from './types.js';

export class AppState {
  readonly api: Api;
  readonly session: Session;
  readonly status: StatusStore;
  readonly tracker: RunTracker;
  readonly live = new LiveChannel();
  readonly dryRun: DryRunStore;
  readonly history: HistoryStore;
  readonly schema: SchemaStore;
  readonly fleet: FleetStore;
  readonly clock = new Clock();
  readonly router = new Router();

  constructor(fetch?: FetchLike) {
    this.api = createApi({ ...(fetch ? { fetch } : {}), onUnauthorized: () => this.session.expire() });
    this.session = new Session(this.api);
    this.status = new StatusStore(this.api);
    this.tracker = new RunTracker(this.api);
    this.dryRun = new DryRunStore(this.api);
    this.history = new HistoryStore(this.api);
    this.schema = new SchemaStore(this.api);
    this.fleet = new FleetStore(this.api);
  }

  /**
   * While signed in: the live channel (reconnecting), which pushes the status; a status
   * poll only while the channel is down and the tab is visible, and a read on returning
   * to the tab; the clock. Returns the function that stops all of it, for $effect.
   */
  connect(): () => void {
    void this.refreshStatus();
    // whether to offer the Fleet page: a single-database setup reports an empty fleet
    void this.fleet.refreshStatus();
    const poll = new StatusPoll({ refresh: () => void this.refreshStatus(), intervalMs: FALLBACK_POLL_MS });
    const onVisibility = () => poll.setVisible(document.visibilityState === 'visible');
    onVisibility();
    document.addEventListener('visibilitychange', onVisibility);
    const stopLive = this.live.connect({
      url: eventsUrl(location),
      onMessage: (message) => this.#onMessage(message),
      onState: (state) => poll.setChannelOpen(state.kind === 'open'),
      // whatever happened while the channel was down: fetch it (also detects an expired session)
      onOpen: ({ reconnect }) => {
        if (!reconnect) return;
        void this.refreshStatus();
        void this.tracker.resync();
      },
    });
    const stopClock = this.clock.start();
    return () => {
      stopLive();
      poll.stop();
      document.removeEventListener('visibilitychange', onVisibility);
      stopClock();
    };
  }

  /** refreshes the status and follows the run (or restore) that holds the queue, if it is not shown yet */
  async refreshStatus(): Promise<void> {
    await this.status.refresh();
    this.#followActiveRun();
  }

  #followActiveRun(): void {
    const active = this.status.activeRun;
    const watched = this.tracker.watched;
    // a delayed job (scheduled, or awaiting approval) has its own list; it is followed once it is due
    if (active && active.state !== 'delayed' && watched?.jobId !== active.jobId && !isInFlight(watched)) {
      if (active.kind === 'restore') {
        this.tracker.watch(active.jobId, { kind: 'restore' });
      } else {
        const planned = this.status.pending.map((m) => ({ version: m.version, name: m.name, statements: m.statementCount }));
        this.tracker.watch(active.jobId, { planned });
      }
    }
  }

  #onMessage(message: LiveMessage): void {
    if (isStateMessage(message)) {
      this.status.apply(message);
      this.#followActiveRun();
      return;
    }
    this.tracker.handle(message);
    this.dryRun.handle(message);
    // the status that follows a job's start or end comes over the channel; the history does not
    if ((message.type === 'completed' || message.type === 'failed') && this.history.data) void this.history.refresh();
  }
}

/** how often the status is read while the live channel is down */
const FALLBACK_POLL_MS = 5_000;

export const [getApp, setApp] = createContext<AppState>();
