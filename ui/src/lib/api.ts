// Typed fetch helpers for duckmig's HTTP API, and the one error type the UI shows.
// Authentication is the HttpOnly session cookie set by POST /api/v1/session: the
// browser sends it with every same-origin fetch and with the WebSocket handshake, so
// the token never stays in JavaScript memory or storage after sign-in. Every request
// carries X-Duckmig-Request: the API refuses cookie-authenticated changes without it
// (a page of another origin cannot send it), and 403s for that come back as ApiErrors.
import type {
  ApprovalDecisionResponse,
  ApprovalsResponse,
  DryRunRequest,
  EnqueuedResponse,
  FleetControlResponse,
  FleetRun,
  FleetRunDetail,
  FleetRunRequest,
  FleetSqlPage,
  FleetStatusResponse,
  FleetTargetDetail,
  FleetTargetFile,
  FleetTargetsResponse,
  HistoryResponse,
  JobView,
  LiveSchema,
  SchemaDiffResponse,
  VersionSchema,
  PendingSqlResponse,
  RestoreRequest,
  RunRequest,
  ScheduledRunsResponse,
  UndoPreviewRequest,
  UndoRequest,
  SessionCheckResponse,
  StatusResponse,
  WebhookDeliveriesResponse,
  WhoAmIResponse,
} from './types.js';

export const API_PREFIX = '/api/v1';
export const ADMIN_PREFIX = `${API_PREFIX}/admin/migrations`;
export const SCHEMA_PREFIX = `${API_PREFIX}/admin/schema`;
export const EVENTS_PATH = `${ADMIN_PREFIX}/events`;
export const FLEET_PREFIX = `${API_PREFIX}/fleet`;
const WEBHOOKS_PREFIX = `${API_PREFIX}/admin/webhooks`;
/** sent with every request; the API requires it on changes made with the session cookie */
const REQUEST_HEADER = 'X-Duckmig-Request';

/** Every failure the API client reports: HTTP errors, unreadable answers, network trouble. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status, 0 when the request never got an answer */
    readonly status: number,
    /** the API's error code (`{ error: { code } }`), or one made up here */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** the job id an API error points at (409 "a run is in flight" carries the one holding it) */
  get jobId(): string | null {
    const details = this.details;
    if (details && typeof details === 'object' && 'jobId' in details) {
      const id = (details as { jobId: unknown }).jobId;
      if (typeof id === 'string' || typeof id === 'number') return String(id);
    }
    return null;
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiOptions {
  fetch?: FetchLike;
  /** called on every 401, so the session can fall back to the sign-in form */
  onUnauthorized?: () => void;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's error page, an empty body): fall through to a generic message
  }
  const error = body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : null;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    return new ApiError(
      response.status,
      typeof code === 'string' ? code : `http_${response.status}`,
      typeof message === 'string' && message ? message : `${response.status} ${response.statusText}`.trim(),
      details,
    );
  }
  return new ApiError(response.status, `http_${response.status}`, `The API answered ${response.status} ${response.statusText}`.trim());
}

export function createApi(options: ApiOptions = {}) {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: string, path: string, { body, signal }: RequestOptions = {}): Promise<{ status: number; data: T }> {
    const init: RequestInit = {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json', [REQUEST_HEADER]: '1' }
          : { accept: 'application/json', 'content-type': 'application/json', [REQUEST_HEADER]: '1' },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    let response: Response;
    try {
      response = await doFetch(path, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, 'network', 'Cannot reach the duckmig API. Check that it is running and try again.', { cause: String(err) });
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) options.onUnauthorized?.();
      throw error;
    }
    if (response.status === 204) return { status: response.status, data: undefined as T };
    try {
      return { status: response.status, data: (await response.json()) as T };
    } catch {
      throw new ApiError(response.status, 'bad_response', `The API sent an answer that is not JSON (${method} ${path})`);
    }
  }

  const admin = (path: string) => `${ADMIN_PREFIX}${path}`;

  return {
    async signIn(token: string): Promise<void> {
      await request('POST', `${API_PREFIX}/session`, { body: { token } });
    },
    async signOut(): Promise<void> {
      await request('DELETE', `${API_PREFIX}/session`);
    },
    /** who the cookie belongs to; 200 with signedIn: false when signed out (no 401 in the console) */
    async session(signal?: AbortSignal): Promise<SessionCheckResponse> {
      return (await request<SessionCheckResponse>('GET', `${API_PREFIX}/session`, { signal })).data;
    },
    async whoami(signal?: AbortSignal): Promise<WhoAmIResponse> {
      return (await request<WhoAmIResponse>('GET', `${API_PREFIX}/whoami`, { signal })).data;
    },
    async status(signal?: AbortSignal): Promise<StatusResponse> {
      return (await request<StatusResponse>('GET', admin('/status?view=full'), { signal })).data;
    },
    /**
     * Starts a dry-run. With `waitSeconds` the API holds the answer until the job ends
     * (200 + JobView) or the wait runs out (202 + ids); both come back as a JobView or the ids.
     */
    async dryRun(body: DryRunRequest, waitSeconds?: number): Promise<JobView | EnqueuedResponse> {
      const query = waitSeconds ? `?wait=${waitSeconds}` : '';
      return (await request<JobView | EnqueuedResponse>('POST', admin(`/dry-run${query}`), { body })).data;
    },
    async run(body: RunRequest): Promise<EnqueuedResponse> {
      return (await request<EnqueuedResponse>('POST', admin('/run'), { body })).data;
    },
    /** admins only: puts a restore point back, through the queue like a run (409 while one is in flight) */
    async restore(body: RestoreRequest): Promise<EnqueuedResponse> {
      return (await request<EnqueuedResponse>('POST', admin('/restore'), { body })).data;
    },
    /** rehearses an undo back to `to` on a copy (operators); answered like a dry-run */
    async previewUndo(body: UndoPreviewRequest, waitSeconds?: number): Promise<JobView | EnqueuedResponse> {
      const query = waitSeconds ? `?wait=${waitSeconds}` : '';
      return (await request<JobView | EnqueuedResponse>('POST', admin(`/undo/preview${query}`), { body })).data;
    },
    /** admins only: runs the down scripts back to `to`, through the queue like a run (409 while one is in flight) */
    async undo(body: UndoRequest): Promise<EnqueuedResponse> {
      return (await request<EnqueuedResponse>('POST', admin('/undo'), { body })).data;
    },
    /** run requests awaiting approval (DUCKMIG_APPROVALS) and recent decisions */
    async approvals(signal?: AbortSignal): Promise<ApprovalsResponse> {
      return (await request<ApprovalsResponse>('GET', admin('/approvals'), { signal })).data;
    },
    /** approve or reject (another admin), withdraw (the requester); a rejection needs a comment */
    async decide(id: string, action: 'approve' | 'reject' | 'withdraw', comment: string): Promise<ApprovalDecisionResponse> {
      const body = comment.trim() ? { comment: comment.trim() } : {};
      return (await request<ApprovalDecisionResponse>('POST', admin(`/approvals/${encodeURIComponent(id)}/${action}`), { body })).data;
    },
    /** runs waiting for their time or a maintenance window (soonest first), with the windows and their policy */
    async scheduled(signal?: AbortSignal): Promise<ScheduledRunsResponse> {
      return (await request<ScheduledRunsResponse>('GET', admin('/scheduled'), { signal })).data;
    },
    /** admins only: the last webhook delivery attempts, newest first */
    async webhookDeliveries(signal?: AbortSignal): Promise<WebhookDeliveriesResponse> {
      return (await request<WebhookDeliveriesResponse>('GET', `${WEBHOOKS_PREFIX}/deliveries`, { signal })).data;
    },
    async job(id: string, signal?: AbortSignal): Promise<JobView> {
      return (await request<JobView>('GET', admin(`/jobs/${encodeURIComponent(id)}`), { signal })).data;
    },
    async cancel(id: string): Promise<void> {
      await request('POST', admin(`/jobs/${encodeURIComponent(id)}/cancel`));
    },
    /** one page of a pending migration's statements (each capped in size by the API) */
    async pendingSql(version: number, offset = 0, limit = 20, signal?: AbortSignal): Promise<PendingSqlResponse> {
      return (await request<PendingSqlResponse>('GET', admin(`/pending/${version}/sql?offset=${offset}&limit=${limit}`), { signal })).data;
    },
    /** `search`: the query string of the filters and page (history-query.ts) */
    async history(search = '', signal?: AbortSignal): Promise<HistoryResponse> {
      return (await request<HistoryResponse>('GET', admin(`/history${search}`), { signal })).data;
    },
    /** where the browser downloads the filtered runs (a plain link: the session cookie authenticates it) */
    historyExportUrl(search: string): string {
      return admin(`/history/export${search}`);
    },
    async liveSchema(signal?: AbortSignal): Promise<LiveSchema> {
      return (await request<LiveSchema>('GET', SCHEMA_PREFIX, { signal })).data;
    },
    /** the schema at an applied version; null while its replay still runs after `waitSeconds` (ask again) */
    async schemaAt(version: number, waitSeconds: number, signal?: AbortSignal): Promise<VersionSchema | null> {
      const { status, data } = await request<VersionSchema>('GET', `${SCHEMA_PREFIX}/versions/${version}?wait=${waitSeconds}`, { signal });
      return status === 200 ? data : null;
    },
    /** the diff between two applied versions; null while a replay still runs after `waitSeconds` (ask again) */
    async schemaDiff(from: number, to: number, waitSeconds: number, signal?: AbortSignal): Promise<SchemaDiffResponse | null> {
      const { status, data } = await request<SchemaDiffResponse>('GET', `${SCHEMA_PREFIX}/diff?from=${from}&to=${to}&wait=${waitSeconds}`, { signal });
      return status === 200 ? data : null;
    },
    /** the fleet: targets by health and version, shards, the run in flight (an empty fleet without fleet workers) */
    async fleetStatus(signal?: AbortSignal): Promise<FleetStatusResponse> {
      return (await request<FleetStatusResponse>('GET', `${FLEET_PREFIX}/status`, { signal })).data;
    },
    /** `search`: `?offset=…&limit=…&health=…&label=k=v,…` */
    async fleetTargets(search: string, signal?: AbortSignal): Promise<FleetTargetsResponse> {
      return (await request<FleetTargetsResponse>('GET', `${FLEET_PREFIX}/targets${search}`, { signal })).data;
    },
    async fleetTarget(id: string, signal?: AbortSignal): Promise<FleetTargetDetail> {
      return (await request<FleetTargetDetail>('GET', `${FLEET_PREFIX}/targets/${encodeURIComponent(id)}`, { signal })).data;
    },
    /** what the target's owner reads from its file now (ledger, pending, run history, schema) */
    async fleetTargetFile(id: string, signal?: AbortSignal): Promise<FleetTargetFile> {
      return (await request<FleetTargetFile>('GET', `${FLEET_PREFIX}/targets/${encodeURIComponent(id)}/file`, { signal })).data;
    },
    /** one page of a fleet target's pending file's statements, by the file's checksum (published when the target was read) */
    async fleetSql(checksum: string, offset = 0, limit = 20, signal?: AbortSignal): Promise<FleetSqlPage> {
      return (await request<FleetSqlPage>('GET', `${FLEET_PREFIX}/migrations/${encodeURIComponent(checksum)}/sql?offset=${offset}&limit=${limit}`, { signal })).data;
    },
    /** one page of a fleet run's per-target outcomes, with its record */
    async fleetRun(id: string, offset = 0, limit = 500, signal?: AbortSignal): Promise<FleetRunDetail> {
      return (await request<FleetRunDetail>('GET', `${FLEET_PREFIX}/runs/${encodeURIComponent(id)}?offset=${offset}&limit=${limit}`, { signal })).data;
    },
    /** the most recent fleet run, or null when there was none */
    async latestFleetRun(signal?: AbortSignal): Promise<FleetRun | null> {
      return (await request<{ runs: FleetRun[] }>('GET', `${FLEET_PREFIX}/runs?limit=1`, { signal })).data.runs[0] ?? null;
    },
    /** operators: starts a fleet run or dry-run (409 while another is in flight, or the workers' files differ) */
    async startFleetRun(body: FleetRunRequest): Promise<FleetRun> {
      return (await request<FleetRun>('POST', `${FLEET_PREFIX}/runs`, { body })).data;
    },
    /** operators: pause, resume, cancel, or skip (`ids`) — applied at the coordinator's next decision point */
    async controlFleetRun(id: string, action: 'pause' | 'resume' | 'cancel' | 'skip', ids?: string[]): Promise<FleetControlResponse> {
      const body = action === 'skip' ? { ids } : undefined;
      return (await request<FleetControlResponse>('POST', `${FLEET_PREFIX}/runs/${encodeURIComponent(id)}/${action}`, { body })).data;
    },
    /** operators: a new run over exactly the targets that failed in a finished run */
    async retryFailedFleetRun(id: string, reason: string): Promise<FleetRun> {
      return (await request<FleetRun>('POST', `${FLEET_PREFIX}/runs/${encodeURIComponent(id)}/retry-failed`, { body: { reason } })).data;
    },
  };
}

export type Api = ReturnType<typeof createApi>;

/** the JobView a dry-run answered inline, or null when it answered with the job's ids */
export function asJobView(value: JobView | EnqueuedResponse): JobView | null {
  return 'state' in value && 'id' in value ? value : null;
}

/** the message to show for anything thrown by the client */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** ws:// or wss:// URL of the live channel on the page's own origin (the cookie goes along) */
export function eventsUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${EVENTS_PATH}`;
}

/** ws:// or wss:// URL of the fleet's live channel on the page's own origin */
export function fleetEventsUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${FLEET_PREFIX}/events`;
}
