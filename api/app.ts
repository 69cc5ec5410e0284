// createApp(deps): the whole HTTP API as a Hono app, without listening, so tests
// drive it with app.request(). Wires middleware in order (request id, logging,
// metrics, security headers and CSP, same-origin check, the queue page's HTML answer
// to browsers it refuses, authentication with throttling and Redis sessions, body
// limit), the documented /api/v1 route groups (sub-apps from routes/, mounted with
// app.route()), the live channel, OpenAPI + Swagger UI, metrics, bull-board, probes and
// the static UI, and the one error handler. Beside the app, the status poll
// (status-poll.ts): the summary poll answered before a node server hands a request to it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIHono } from '@hono/zod-openapi';
import { createNodeWebSocket } from '@hono/node-ws';
import type { QueueEvents } from 'bullmq';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DEFAULT_KEY_PREFIX, type RedisConnection } from '../config/redis-connection.js';
import { pino, type Logger } from 'pino';
import { API_PREFIX, fleetKeys, redisKeys, webhookKeys, type ApprovalPolicy, type NotificationInput } from '../contract/index.js';
import type { MaintenanceSettings } from '../config/governance.js';
import type { FleetPrefixes } from '../fleet/options.js';
import { openFleetQueue } from '../fleet/queue.js';
import './context.js';
import { authenticate, requireRole } from './auth.js';
import { AuthThrottle, DEFAULT_AUTH_FAILURES } from './auth-throttle.js';
import { registerDocsUi } from './docs-ui.js';
import { BULL_BOARD_PATH, registerBullBoard } from './bull-board.js';
import { ApiError, onApiError, onNotFound, throwOnInvalid } from './errors.js';
import { FleetLiveHub, registerFleetLiveRoutes } from './fleet-live.js';
import { HEALTH_PATHS, registerHealthRoutes } from './health.js';
import { jobEndOf, type MigrationQueue } from './jobs.js';
import { LiveHub } from './live-hub.js';
import { registerLiveRoutes } from './live.js';
import { countRequests, registerMetricsRoute, RequestMetrics } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import { DEFAULT_RATE_LIMIT, rateLimit } from './rate-limit.js';
import { requestId } from './request-id.js';
import { requestLog } from './request-log.js';
import { FLEET_ROUTES_BASE, fleetRoutes } from './routes/fleet.js';
import { DEFAULT_RUN_DEADLINE_MS } from './run-deadline.js';
import { APPROVAL_ROUTES_BASE, approvalRoutes } from './routes/approvals.js';
import { JOB_ROUTES_BASE, jobRoutes } from './routes/jobs.js';
import { MIGRATION_ROUTES_BASE, migrationRoutes } from './routes/migrations.js';
import { SCHEMA_ROUTES_BASE, schemaRoutes } from './routes/schema.js';
import { SESSION_ROUTES_BASE, sessionRoutes } from './routes/session.js';
import { WEBHOOK_ROUTES_BASE, webhookRoutes } from './routes/webhooks.js';
import { readStatus } from './status-read.js';
import { queuePageDenied } from './queue-page-denied.js';
import { requireSameOrigin } from './same-origin.js';
import { securityHeaders } from './security-headers.js';
import { createSessionStore, DEFAULT_SESSION_TTL_MS } from './session.js';
import { isStaticUiRequest, registerStaticUi } from './static-ui.js';
import type { TokenStore } from './tokens.js';
import { StatusFreshness } from './status-freshness.js';
import { SummaryCache } from './status-body.js';
import { statusPoll, type StatusPoll } from './status-poll.js';
import { StatusStateReader } from './status-state.js';
import { statusRoute } from './routes/definitions.js';
import { WorkerStateReader } from './worker-state.js';

export interface ApiDeps {
  /** the migrations queue, on a connection with enableOfflineQueue: false */
  queue: MigrationQueue;
  /** this process's QueueEvents (own blocking connection): live channel and ?wait */
  queueEvents: QueueEvents;
  /** command connection (may be the queue's): snapshot, heartbeat, rate limit, cancel */
  redis: RedisConnection;
  /** duckmig's own key prefix (redisKeys): the topology's, `{duckmig}` under Redis Cluster (default duckmig) */
  keyPrefix?: string;
  tokens: TokenStore;
  logger?: Logger;
  /** per token, on mutating routes (default 30 per minute) */
  rateLimit?: { limit: number; windowMs: number };
  /** request body limit in bytes (default 64 KiB) */
  maxBodyBytes?: number;
  /** built UI to serve; default dist/ui when it exists, null for none */
  uiDir?: string | null;
  sessionTtlMs?: number;
  /** how often the live channel re-reads the status while clients are connected (default 2 s) */
  statusIntervalMs?: number;
  /** a run or restore the API could not confirm within this long is never started (default 10 s) */
  runDeadlineMs?: number;
  /** origins besides the API's own that may change state (a reverse proxy's public URL) */
  allowedOrigins?: readonly string[];
  /** the client address comes from X-Forwarded-For (only behind a reverse proxy that sets it) */
  trustProxy?: boolean;
  /** failed authentications allowed per client and window (default 20 per minute) */
  authFailures?: { limit: number; windowMs: number };
  /** reuse a status read for up to this long while no change is announced (0, the default here: every request reads) */
  statusCacheMs?: number;
  /** announces run events to webhooks (notify/notifier.ts); default: none */
  notify?: (input: NotificationInput) => Promise<void>;
  /** when runs may start (DUCKMIG_MAINTENANCE_WINDOW); default: any time */
  maintenance?: MaintenanceSettings;
  /** the fleet's Redis prefixes (its keys, and BullMQ's for the fleet queue) */
  fleet?: FleetPrefixes;
  /** which runs wait for another admin's approval (DUCKMIG_APPROVALS; default off) */
  approvals?: ApprovalPolicy;
}

export interface ApiApp {
  app: OpenAPIHono;
  /** on a node server, offer each request to this before `app` (status-poll.ts) */
  pollStatus: StatusPoll;
  /** attach WebSocket upgrades to the node server that serves `app` */
  injectWebSocket: ReturnType<typeof createNodeWebSocket>['injectWebSocket'];
  hub: LiveHub;
  fleetHub: FleetLiveHub;
  /** detach from QueueEvents and drop live clients (does not close Redis or the queue) */
  close(): void;
}

// The built UI, found from this file rather than the working directory: api/app.ts (tests,
// tsx) looks in ../dist/ui; dist/api/app.js finds it beside itself in ../ui. The order
// matters: from the sources, ../ui is the UI's source folder (its index.html is not built).
const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_UI_DIR = [join(HERE, '..', 'dist', 'ui'), join(HERE, '..', 'ui')].find((d) => existsSync(join(d, 'index.html')));

export function createApp(deps: ApiDeps): ApiApp {
  const { queue, queueEvents, redis, tokens } = deps;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const keyPrefix = deps.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const keys = redisKeys(queue.name, keyPrefix);
  const workerState = new WorkerStateReader(redis, keys);
  const uiDir = deps.uiDir === undefined ? (DEFAULT_UI_DIR ?? null) : deps.uiDir;
  const { limit, windowMs } = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const maxBodyBytes = deps.maxBodyBytes ?? 64 * 1024;

  const app = new OpenAPIHono({ defaultHook: throwOnInvalid });
  const nodeWs = createNodeWebSocket({ app });
  const hub = new LiveHub({
    queueEvents,
    logger,
    state: {
      redis,
      channel: keys.stateChanged,
      intervalMs: deps.statusIntervalMs,
      readStatus: async () => {
        const { snapshot, rest } = await readStatus(queue, workerState, redis);
        return { type: 'status', ...rest, snapshot };
      },
    },
    readJobEnd: async (jobId) => {
      const job = await queue.getJob(jobId);
      return job ? jobEndOf(job) : null;
    },
  });
  const statusFreshness = deps.statusCacheMs
    ? new StatusFreshness({ redis, channel: keys.stateChanged, queueEvents, maxAgeMs: deps.statusCacheMs, logger })
    : undefined;
  const metrics = new RequestMetrics();
  const statusState = new StatusStateReader(queue, workerState, redis, statusFreshness);
  const summaries = new SummaryCache();
  const isPublic = (c: Context) => HEALTH_PATHS.has(c.req.path) || (uiDir !== null && isStaticUiRequest(c)) || isSignIn(c);

  app.onError(onApiError);
  app.notFound(onNotFound);

  app.use(requestId());
  app.use(requestLog({ logger }));
  app.use(countRequests(metrics));
  app.use(securityHeaders());
  app.use(requireSameOrigin({ allowedOrigins: deps.allowedOrigins }));
  if (statusFreshness) {
    // whatever this instance changed (an enqueue, a cancel) shows in the next status it serves
    app.use(async function statusChanges(c, next) {
      await next();
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') statusFreshness.invalidate();
    });
  }
  const trustProxy = deps.trustProxy ?? false;
  const sessionTtlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = createSessionStore({ redis, tokens, keyPrefix: `${keyPrefix}:${queue.name}:session`, ttlMs: sessionTtlMs });
  const throttle = new AuthThrottle({ redis, keyPrefix: `${keyPrefix}:${queue.name}:authfail`, ...(deps.authFailures ?? DEFAULT_AUTH_FAILURES) });
  app.use(queuePageDenied({ basePath: BULL_BOARD_PATH }));
  app.use(authenticate({ tokens, sessions, throttle, trustProxy, isPublic, headerExempt: isBullBoard, isOptional: isSessionCheck }));
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(413, 'payload-too-large', `request bodies are limited to ${maxBodyBytes} bytes`);
    },
  });
  // GET/HEAD carry no body here; skipping the check spares building a full Request per read
  app.use(function limitRequestBody(c, next) {
    return c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next);
  });

  registerHealthRoutes(app, { redis });

  // next to the contract's keys (<keyPrefix>:<queue>:…), one counter per token and window
  const limiter = rateLimit({ redis, limit, windowMs, keyPrefix: `${keyPrefix}:${queue.name}:ratelimit` });
  // route groups: sub-apps behind the middleware above (roles and rate limit per route)
  const approvals = deps.approvals ?? 'off';
  const runDeadlineMs = deps.runDeadlineMs ?? DEFAULT_RUN_DEADLINE_MS;
  app.route(
    MIGRATION_ROUTES_BASE,
    migrationRoutes({ queue, queueEvents, redis, keys, workerState, limiter, runDeadlineMs, statusState, summaries, notify: deps.notify, maintenance: deps.maintenance, approvals }),
  );
  app.route(APPROVAL_ROUTES_BASE, approvalRoutes({ queue, redis, keys, workerState, limiter, policy: approvals, runDeadlineMs }));
  app.route(JOB_ROUTES_BASE, jobRoutes({ queue, redis, keys, limiter }));
  app.route(SCHEMA_ROUTES_BASE, schemaRoutes({ queue, queueEvents, redis, keys, workerState }));
  app.route(WEBHOOK_ROUTES_BASE, webhookRoutes({ redis, logKey: webhookKeys(queue.name, keyPrefix).deliveries }));
  app.route(SESSION_ROUTES_BASE, sessionRoutes({ tokens, sessions, throttle, trustProxy, sessionTtlMs }));
  registerLiveRoutes(app, { hub, upgradeWebSocket: nodeWs.upgradeWebSocket });

  // the fleet: its own keys and queue, the same auth, origin check and rate limit
  const fleetKeyPrefix = deps.fleet?.keyPrefix ?? keyPrefix;
  const fleet = fleetKeys(fleetKeyPrefix);
  const fleetQueue = openFleetQueue(redis, deps.fleet?.bullPrefix);
  fleetQueue.on('error', (err) => logger.warn({ err: err.message }, 'fleet queue error'));
  const fleetHub = new FleetLiveHub({ redis, keys: fleet, logger });
  app.route(FLEET_ROUTES_BASE, fleetRoutes({ redis, queue: fleetQueue, keys: fleet, keyPrefix: fleetKeyPrefix, limiter, notify: deps.notify }));
  registerFleetLiveRoutes(app, { hub: fleetHub, upgradeWebSocket: nodeWs.upgradeWebSocket });

  const document = buildOpenApiDocument();
  app.get(`${API_PREFIX}/openapi.json`, requireRole('viewer'), function openApiDocument(c) {
    return c.json(document);
  });
  registerDocsUi(app, requireRole('viewer'));

  registerMetricsRoute(app, { metrics, queue, workerState, hub });
  const pollStatus = statusPoll({ path: statusRoute.path, role: statusRoute['x-duckmig-role'], tokens, throttle, trustProxy, statusState, summaries, metrics, logger });
  registerBullBoard(app, { queue });
  if (uiDir !== null) registerStaticUi(app, { dir: uiDir });

  let closed = false;
  return {
    app,
    pollStatus,
    injectWebSocket: nodeWs.injectWebSocket,
    hub,
    fleetHub,
    close() {
      if (closed) return;
      closed = true;
      hub.close();
      statusFreshness?.close();
      fleetHub.close();
      void fleetQueue.close().catch(() => undefined);
      for (const client of nodeWs.wss.clients) client.terminate();
      nodeWs.wss.close();
    },
  };
}

// bull-board's own UI cannot send the custom header; its changes still pass the same-origin check
function isBullBoard(c: Context): boolean {
  return c.req.path === '/admin/queues' || c.req.path.startsWith('/admin/queues/');
}

function isSessionCheck(c: Context): boolean {
  return (c.req.method === 'GET' || c.req.method === 'HEAD') && c.req.path === `${API_PREFIX}/session`;
}

function isSignIn(c: Context): boolean {
  return c.req.method === 'POST' && c.req.path === `${API_PREFIX}/session`;
}
