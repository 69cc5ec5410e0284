// What a test or benchmark client has received so far, in order, and a way to await one
// entry: `next(predicate)` resolves with the first that matches, already received or not.
export interface MessageLog<T> {
  /** every entry received so far, in order */
  readonly received: T[];
  /** resolves with the first entry (already received or future) that matches */
  next(predicate: (entry: T) => boolean, timeoutMs?: number): Promise<T>;
}

export interface WritableMessageLog<T> extends MessageLog<T> {
  push(entry: T): void;
}

/** `describe` names entries in the timeout error, so a failing wait says what did arrive. */
export function messageLog<T>(describe: (entry: T) => string, defaultTimeoutMs = 60_000): WritableMessageLog<T> {
  const received: T[] = [];
  const waiters = new Set<{ predicate: (entry: T) => boolean; resolve: (entry: T) => void }>();
  return {
    received,
    push(entry) {
      received.push(entry);
      for (const w of waiters) {
        if (w.predicate(entry)) {
          waiters.delete(w);
          w.resolve(entry);
        }
      }
    },
    next(predicate, timeoutMs = defaultTimeoutMs) {
      const seen = received.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`nothing matching arrived within ${timeoutMs} ms; got ${received.length}, the last: ${received.slice(-20).map(describe).join(', ')}`));
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (entry: T) => {
            clearTimeout(timer);
            resolve(entry);
          },
        };
        waiters.add(waiter);
      });
    },
  };
}
