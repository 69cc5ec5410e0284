// The fleet as the Fleet page shows it: whether the API reports a fleet at all (a
// single-database setup has none, and the UI then shows nothing of fleets), the fleet's
// status (targets by health and version, shards, the run in flight), one filtered page of
// its targets, and one target's detail for the drill-down, with what its owner reads from
// its file when asked (ledger, pending migrations, run history, schema). Everything is read on demand;
// the run in flight is followed live by fleet-run.svelte.ts.
import { describeError, type Api } from './api.js';
import type { FleetStatusResponse, FleetTargetDetail, FleetTargetFile, FleetTargetHealth, FleetTargetsResponse } from './types.js';

export interface TargetFilter {
  /** a health, `offline`, or '' for every target */
  health: FleetTargetHealth | '';
  /** `tier=gold,region=eu`, or '' */
  label: string;
}

/** targets per page of the table (the API allows up to 500) */
const TARGETS_PAGE = 100;

export class FleetStore {
  readonly #api: Api;
  #status = $state.raw<FleetStatusResponse | null>(null);
  #statusError = $state<string | null>(null);
  #targets = $state.raw<FleetTargetsResponse | null>(null);
  #targetsError = $state<string | null>(null);
  #filter = $state.raw<TargetFilter>({ health: '', label: '' });
  #detail = $state.raw<FleetTargetDetail | null>(null);
  #detailError = $state<string | null>(null);
  #file = $state.raw<FleetTargetFile | null>(null);
  #fileError = $state<string | null>(null);
  #reading = $state(false);

  constructor(api: Api) {
    this.#api = api;
  }

  /** the API reports fleet workers or targets (known once the status was read) */
  get present(): boolean {
    const status = this.#status;
    return status !== null && (status.targets.total > 0 || status.shards.length > 0);
  }
  get status(): FleetStatusResponse | null {
    return this.#status;
  }
  get statusError(): string | null {
    return this.#statusError;
  }
  get targets(): FleetTargetsResponse | null {
    return this.#targets;
  }
  get targetsError(): string | null {
    return this.#targetsError;
  }
  get filter(): TargetFilter {
    return this.#filter;
  }
  get detail(): FleetTargetDetail | null {
    return this.#detail;
  }
  get detailError(): string | null {
    return this.#detailError;
  }
  /** what the shown target's owner last read from its file, on request */
  get file(): FleetTargetFile | null {
    return this.#file;
  }
  get fileError(): string | null {
    return this.#fileError;
  }
  get reading(): boolean {
    return this.#reading;
  }

  async refreshStatus(): Promise<void> {
    try {
      this.#status = await this.#api.fleetStatus();
      this.#statusError = null;
    } catch (err) {
      this.#statusError = describeError(err);
    }
  }

  async refreshTargets(offset = this.#targets?.offset ?? 0): Promise<void> {
    const { health, label } = this.#filter;
    const query = new URLSearchParams({ offset: String(offset), limit: String(TARGETS_PAGE) });
    if (health) query.set('health', health);
    if (label.trim()) query.set('label', label.trim());
    try {
      this.#targets = await this.#api.fleetTargets(`?${query.toString()}`);
      this.#targetsError = null;
    } catch (err) {
      this.#targetsError = describeError(err);
    }
  }

  applyFilter(filter: TargetFilter): Promise<void> {
    this.#filter = filter;
    return this.refreshTargets(0);
  }

  /** every target id of the fleet, sorted (the grid's cells), reading up to `max` */
  async allTargetIds(max = 5_000): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; offset < max; offset += 500) {
      const page = await this.#api.fleetTargets(`?offset=${offset}&limit=500`);
      ids.push(...page.targets.map((t) => t.id));
      if (offset + 500 >= page.total) break;
    }
    return ids;
  }

  /** Asks the target's owner to read its file (it opens it: only on request, never polled). */
  async readTargetFile(id: string): Promise<void> {
    this.#reading = true;
    this.#fileError = null;
    try {
      const file = await this.#api.fleetTargetFile(id);
      if (this.#detail?.target.id === id) this.#file = file;
    } catch (err) {
      this.#file = null;
      this.#fileError = describeError(err);
    } finally {
      this.#reading = false;
    }
  }

  async showTarget(id: string | null): Promise<void> {
    // another target (or none): the file read of the last one goes
    if (this.#file && this.#file.id !== id) {
      this.#file = null;
      this.#fileError = null;
    }
    if (id === null) {
      this.#detail = null;
      this.#detailError = null;
      return;
    }
    try {
      this.#detail = await this.#api.fleetTarget(id);
      this.#detailError = null;
    } catch (err) {
      this.#detail = null;
      this.#detailError = describeError(err);
    }
  }
}
