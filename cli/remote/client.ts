// The CLI's HTTP client for a running duckmig API: bearer token, JSON in and out, the
// API's `{ error: { code, message } }` shape turned into RemoteError with the exit code
// a deploy script branches on (3 when the API cannot be reached or refuses the token).
import {
  type ApprovalDecisionResponse,
  ADMIN_PREFIX, type CancelResponse, type DryRunRequest, type EnqueuedResponse, type JobView, type RunRequest, type StatusResponse, type RestoreRequest,
  type UndoPreviewRequest,
  type UndoRequest,
  type ScheduledRunsResponse,
} from '../../contract/index.js';
import { EXIT } from '../exit-codes.js';

export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    message: string,
    readonly exitCode: number,
    /** HTTP status, 0 when there was no answer */
    readonly status = 0,
    readonly code = '',
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  /** per-request timeout (default 30 s) */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function exitCodeFor(status: number): number {
  if (status === 401 || status === 403 || status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.usage;
  return EXIT.failed;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Opens a request and returns the raw response (for streams); errors as RemoteError. */
  async open(path: string, init: RequestInit & { timeoutMs?: number | null } = {}): Promise<Response> {
    const { timeoutMs = this.#timeoutMs, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${this.#token}`);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    const signals = [rest.signal, timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => Boolean(s));
    let response: Response;
    try {
      response = await this.#fetch(this.url(path), { ...rest, headers, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'AbortError' && rest.signal?.aborted) throw err;
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new RemoteError(`cannot reach the duckmig API at ${this.baseUrl}: ${why}`, EXIT.unavailable);
    }
    if (!response.ok) throw await this.#errorFrom(response);
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.open(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    try {
      return (await response.json()) as T;
    } catch {
      throw new RemoteError(`the API at ${this.baseUrl} answered ${method} ${path} with something that is not JSON`, EXIT.unavailable, response.status);
    }
  }

  async #errorFrom(response: Response): Promise<RemoteError> {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: a proxy's page, or another server on that port
    }
    const error = body && typeof body === 'object' && 'error' in body ? ((body as { error: Record<string, unknown> }).error ?? {}) : {};
    const code = typeof error.code === 'string' ? error.code : `http-${response.status}`;
    let message = typeof error.message === 'string' && error.message ? error.message : `${response.status} ${response.statusText}`.trim();
    if (response.status === 401) message = `the API refused the token (${message}); pass --token or set DUCKMIG_TOKEN`;
    if (response.status === 403 && code === 'forbidden') message = `the token's role may not do this (${message})`;
    return new RemoteError(message, exitCodeFor(response.status), response.status, code, error.details);
  }

  status(): Promise<StatusResponse> {
    return this.request('GET', `${ADMIN_PREFIX}/status?view=full`);
  }

  run(body: RunRequest): Promise<EnqueuedResponse> {
    return this.request('POST', `${ADMIN_PREFIX}/run`, body);
  }

  dryRun(body: DryRunRequest): Promise<EnqueuedResponse | JobView> {
    return this.request('POST', `${ADMIN_PREFIX}/dry-run`, body);
  }

  restore(body: RestoreRequest): Promise<EnqueuedResponse> {
    return this.request('POST', `${ADMIN_PREFIX}/restore`, body);
  }

  undo(body: UndoRequest): Promise<EnqueuedResponse> {
    return this.request('POST', `${ADMIN_PREFIX}/undo`, body);
  }

  previewUndo(body: UndoPreviewRequest): Promise<EnqueuedResponse | JobView> {
    return this.request('POST', `${ADMIN_PREFIX}/undo/preview`, body);
  }

  job(id: string): Promise<JobView> {
    return this.request('GET', `${ADMIN_PREFIX}/jobs/${encodeURIComponent(id)}`);
  }

  scheduled(): Promise<ScheduledRunsResponse> {
    return this.request('GET', `${ADMIN_PREFIX}/scheduled`);
  }

  cancel(id: string): Promise<CancelResponse> {
    return this.request('POST', `${ADMIN_PREFIX}/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /** approve, reject or withdraw a run request awaiting approval */
  decide(id: string, action: 'approve' | 'reject' | 'withdraw', comment: string | undefined): Promise<ApprovalDecisionResponse> {
    return this.request('POST', `${ADMIN_PREFIX}/approvals/${encodeURIComponent(id)}/${action}`, comment === undefined ? {} : { comment });
  }
}
