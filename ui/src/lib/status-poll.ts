// When the page reads the status itself instead of being told: the live channel pushes
// every change while it is open, so the page polls only while the channel is down, and
// never in a hidden tab; coming back to the tab reads the status once at once (a hidden
// tab may have been throttled or frozen). Timers are injectable for the tests.
import type { Timers } from './live-socket.js';

export interface StatusPollOptions {
  refresh: () => void;
  /** poll interval while the channel is down */
  intervalMs: number;
  timers?: Timers;
}

export class StatusPoll {
  readonly #options: StatusPollOptions;
  readonly #timers: Timers;
  #channelOpen = false;
  #visible = true;
  #timer: unknown = null;
  #stopped = false;

  constructor(options: StatusPollOptions) {
    this.#options = options;
    this.#timers = options.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.#update();
  }

  /** whether polling runs now */
  get polling(): boolean {
    return this.#timer !== null;
  }

  setChannelOpen(open: boolean): void {
    this.#channelOpen = open;
    this.#update();
  }

  setVisible(visible: boolean): void {
    const returned = visible && !this.#visible;
    this.#visible = visible;
    if (returned && !this.#stopped) this.#options.refresh();
    this.#update();
  }

  stop(): void {
    this.#stopped = true;
    this.#update();
  }

  #update(): void {
    const wanted = !this.#stopped && this.#visible && !this.#channelOpen;
    if (wanted && this.#timer === null) {
      this.#schedule();
    } else if (!wanted && this.#timer !== null) {
      this.#timers.clear(this.#timer);
      this.#timer = null;
    }
  }

  #schedule(): void {
    this.#timer = this.#timers.set(() => {
      this.#timer = null;
      this.#options.refresh();
      this.#update();
    }, this.#options.intervalMs);
  }
}
