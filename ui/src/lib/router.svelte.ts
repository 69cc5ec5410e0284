// The current route, following the URL hash (back/forward and links just work).
import { parseHash, type Route } from './routes.js';

export class Router {
  #hash = $state(typeof location === 'undefined' ? '' : location.hash);
  #route = $derived<Route>(parseHash(this.#hash));

  get route(): Route {
    return this.#route;
  }

  /** follows hashchange events; returns the function that stops, for $effect */
  start(): () => void {
    const update = () => (this.#hash = location.hash);
    update();
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }
}
