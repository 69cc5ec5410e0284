// Who is signed in. The token goes to POST /api/v1/session once and is forgotten: the
// API answers with an HttpOnly, SameSite=Strict cookie that the browser sends with every
// request, the WebSocket handshake and bull-board; JavaScript never sees it again.
import { ApiError, describeError, type Api } from './api.js';
import type { WhoAmIResponse } from './types.js';

export type SessionState = 'checking' | 'signed-out' | 'signed-in' | 'unreachable';
export type SessionMessage = { text: string; tone: 'error' | 'info' };

export class Session {
  readonly #api: Api;
  #user = $state.raw<WhoAmIResponse | null>(null);
  #state = $state<SessionState>('checking');
  #message = $state.raw<SessionMessage | null>(null);
  #busy = $state(false);

  constructor(api: Api) {
    this.#api = api;
  }

  get user(): WhoAmIResponse | null {
    return this.#user;
  }
  get state(): SessionState {
    return this.#state;
  }
  /** why the sign-in form is shown again, or why signing in failed */
  get message(): SessionMessage | null {
    return this.#message;
  }
  get busy(): boolean {
    return this.#busy;
  }

  /** asks the API who the cookie belongs to (at start-up and after "retry") */
  async check(): Promise<void> {
    this.#state = 'checking';
    try {
      const answer = await this.#api.session();
      if (answer.signedIn) {
        this.#user = { name: answer.name, role: answer.role };
        this.#state = 'signed-in';
        this.#message = null;
      } else {
        this.#user = null;
        this.#state = 'signed-out';
      }
    } catch (err) {
      this.#user = null;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.#state = 'signed-out';
      else {
        this.#state = 'unreachable';
        this.#message = { text: describeError(err), tone: 'error' };
      }
    }
  }

  async signIn(token: string): Promise<boolean> {
    this.#busy = true;
    this.#message = null;
    try {
      await this.#api.signIn(token.trim());
      this.#user = await this.#api.whoami();
      this.#state = 'signed-in';
      return true;
    } catch (err) {
      this.#user = null;
      this.#state = 'signed-out';
      const text = err instanceof ApiError && err.status === 401 ? 'That token was not accepted. Check it and try again.' : describeError(err);
      this.#message = { text, tone: 'error' };
      return false;
    } finally {
      this.#busy = false;
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.#api.signOut();
    } catch {
      // the cookie may already be gone: signed out either way
    }
    this.#user = null;
    this.#state = 'signed-out';
    this.#message = { text: 'You are signed out.', tone: 'info' };
  }

  /** any 401 while signed in: the cookie expired or the token was revoked */
  expire(): void {
    if (this.#state !== 'signed-in') return;
    this.#user = null;
    this.#state = 'signed-out';
    this.#message = { text: 'Your session has ended. Sign in again to continue.', tone: 'info' };
  }
}
