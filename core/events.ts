// A small typed event emitter for runner events: listeners for one event type or for
// all of them. A throwing listener is isolated so it can never break a migration.
import type { RunnerEvent, RunnerEventOf, RunnerEventType } from '../contract/index.js';

type AnyListener = (event: RunnerEvent) => void;

export class RunnerEvents {
  #listeners = new Set<AnyListener>();

  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(listener: AnyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribe to one event type; returns the unsubscribe function. */
  on<T extends RunnerEventType>(type: T, listener: (event: RunnerEventOf<T>) => void): () => void {
    return this.onEvent((event) => {
      if (event.type === type) listener(event as RunnerEventOf<T>);
    });
  }

  emit(event: RunnerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure is its own; the run goes on
      }
    }
  }
}
