// A reactive "now" that ticks once a second while the app runs, for ages and elapsed times.
export class Clock {
  #now = $state(Date.now());
  #users = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  get now(): number {
    return this.#now;
  }

  /** starts ticking (shared by every caller); returns the function that stops it, for $effect */
  start(intervalMs = 1000): () => void {
    this.#users += 1;
    if (this.#timer === null) {
      this.#now = Date.now();
      this.#timer = setInterval(() => (this.#now = Date.now()), intervalMs);
    }
    return () => {
      this.#users -= 1;
      if (this.#users === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }
}
