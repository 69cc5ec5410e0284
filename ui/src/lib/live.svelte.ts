// The live channel's connection state, for the header's indicator and "reconnect now".
// Wraps LiveSocket (live-socket.ts) which does the reconnecting.
import { LiveSocket, type ConnectionState, type LiveSocketOptions } from './live-socket.js';

export class LiveChannel {
  #state = $state.raw<ConnectionState>({ kind: 'stopped' });
  #socket: LiveSocket | null = null;

  get state(): ConnectionState {
    return this.#state;
  }

  /** opens the channel and keeps it open; returns the function that closes it, for $effect */
  connect(options: LiveSocketOptions): () => void {
    const socket = new LiveSocket({
      ...options,
      onState: (state) => {
        this.#state = state;
        options.onState?.(state);
      },
    });
    this.#socket = socket;
    socket.start();
    // back from offline or from a sleeping tab: do not wait out the backoff
    const retry = () => socket.retryNow();
    const onVisible = () => {
      if (document.visibilityState === 'visible') retry();
    };
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
      socket.stop();
      if (this.#socket === socket) this.#socket = null;
    };
  }

  retryNow(): void {
    this.#socket?.retryNow();
  }
}
