// A small typed event emitter for runner events: listeners for one event type or for
// all of them. A throwing listener is isolated so it can never break a migration. It knows
// whether anyone listens for statement-level events (statement:start/progress/done): when
// nobody does, the runner may run a whole file in one DuckDB call (runner.ts).
import type { RunnerEvent, RunnerEventOf, RunnerEventType } from '../contract/index.js';

type AnyListener = (event: RunnerEvent) => void;

export interface ListenOptions {
  /** receive statement:start, statement:progress and statement:done too (default true) */
  statements?: boolean;
}

function isStatementEvent(type: RunnerEventType): boolean {
  return type.startsWith('statement:');
}

export class RunnerEvents {
  /** each listener with whether it receives statement-level events */
  #listeners = new Map<AnyListener, boolean>();

  /**
   * Subscribe to every event (`{ statements: false }`: every event but the statement-level
   * ones, which lets the runner run each file at once); returns the unsubscribe function.
   */
  onEvent(listener: AnyListener, options: ListenOptions = {}): () => void {
    this.#listeners.set(listener, options.statements ?? true);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribe to one event type; returns the unsubscribe function. */
  on<T extends RunnerEventType>(type: T, listener: (event: RunnerEventOf<T>) => void): () => void {
    return this.onEvent(
      (event) => {
        if (event.type === type) listener(event as RunnerEventOf<T>);
      },
      { statements: isStatementEvent(type) },
    );
  }

  /** Whether some listener receives statement-level events. */
  get wantsStatements(): boolean {
    for (const statements of this.#listeners.values()) if (statements) return true;
    return false;
  }

  emit(event: RunnerEvent): void {
    const statement = isStatementEvent(event.type);
    for (const [listener, statements] of this.#listeners) {
      if (statement && !statements) continue;
      try {
        listener(event);
      } catch {
        // a listener's failure is its own; the run goes on
      }
    }
  }
}
