// The schema page's data: the live schema (GET …/schema) or the schema at an applied
// version (replayed by the worker: asked again while the replay runs), and the diff
// between two versions. A newer request supersedes an older one's answer.
import { describeError, type Api } from './api.js';
import type { LiveSchema, SchemaDiffResponse, VersionSchema } from './types.js';

/** Seconds each request lets the API wait for a replay, and how many times it is asked. */
const WAIT_SECONDS = 20;
const ATTEMPTS = 6;

export type SchemaChoice = 'live' | number;

async function untilReplayed<T>(ask: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const answer = await ask();
    if (answer) return answer;
  }
  throw new Error('The worker is still replaying the migrations; try again in a moment.');
}

export class SchemaStore {
  readonly #api: Api;
  #choice = $state<SchemaChoice>('live');
  #schema = $state.raw<LiveSchema | VersionSchema | null>(null);
  #loading = $state(false);
  #error = $state<string | null>(null);
  #diff = $state.raw<SchemaDiffResponse | null>(null);
  #diffLoading = $state(false);
  #diffError = $state<string | null>(null);
  #shown = 0;
  #compared = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  get choice(): SchemaChoice {
    return this.#choice;
  }
  get schema(): LiveSchema | VersionSchema | null {
    return this.#schema;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get error(): string | null {
    return this.#error;
  }
  get diff(): SchemaDiffResponse | null {
    return this.#diff;
  }
  get diffLoading(): boolean {
    return this.#diffLoading;
  }
  get diffError(): string | null {
    return this.#diffError;
  }

  async show(choice: SchemaChoice = this.#choice): Promise<void> {
    const ticket = ++this.#shown;
    this.#choice = choice;
    this.#loading = true;
    try {
      const schema = choice === 'live' ? await this.#api.liveSchema() : await untilReplayed(() => this.#api.schemaAt(choice, WAIT_SECONDS));
      if (ticket !== this.#shown) return;
      this.#schema = schema;
      this.#error = null;
    } catch (err) {
      if (ticket !== this.#shown) return;
      this.#schema = null;
      this.#error = describeError(err);
    } finally {
      if (ticket === this.#shown) this.#loading = false;
    }
  }

  async compare(from: number, to: number): Promise<void> {
    const ticket = ++this.#compared;
    this.#diffLoading = true;
    try {
      const diff = await untilReplayed(() => this.#api.schemaDiff(from, to, WAIT_SECONDS));
      if (ticket !== this.#compared) return;
      this.#diff = diff;
      this.#diffError = null;
    } catch (err) {
      if (ticket !== this.#compared) return;
      this.#diff = null;
      this.#diffError = describeError(err);
    } finally {
      if (ticket === this.#compared) this.#diffLoading = false;
    }
  }
}
