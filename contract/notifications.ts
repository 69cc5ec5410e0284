// Notifications: the events duckmig announces to webhooks, the payload a receiver gets,
// the `webhooks` queue's job data, and the delivery log the API shows to admins.
// Anything that emits an event builds a NotificationInput and hands it to notify()
// (notify/notifier.ts); the worker delivers it to every configured endpoint.
import { z } from 'zod';
import { ErrorCode } from './results.js';

export const NotificationEventType = z.enum([
  /** a run was accepted by the API (`scheduledFor` when it waits for a time or a maintenance window) */
  'run.queued',
  /** a run waits for an approver before it may start */
  'run.awaiting-approval',
  'run.started',
  'run.succeeded',
  /** failed, refused, cancelled or crashed: `errorCode` says which */
  'run.failed',
  /** an undo was accepted by the API (`toVersion`: the version it goes back to) */
  'undo.queued',
  /** an undo waits for an approver before it may start */
  'undo.awaiting-approval',
  'undo.started',
  /** the down scripts ran: applied migrations were undone */
  'undo.succeeded',
  /** failed, refused, cancelled or crashed: `errorCode` says which */
  'undo.failed',
  /** a fleet run was accepted (`jobId` is the fleet run's id) */
  'fleet.run.queued',
  /** the coordinator planned the run's waves and starts the first */
  'fleet.run.started',
  /** a wave's target jobs were dispatched (`wave`) */
  'fleet.wave.started',
  /** every target of a wave has its outcome (`wave` with its counts) */
  'fleet.wave.finished',
  /** the halt rule stopped the run (`message`: why); the targets not run are skipped */
  'fleet.run.halted',
  /** every wave ran and no target failed */
  'fleet.run.succeeded',
  /** every wave ran and some targets failed within the halt rule, or the run was refused or cancelled (`errorCode`) */
  'fleet.run.failed',
  /** the database's schema differs from what its applied migrations say it should be */
  'drift.found',
]);
export type NotificationEventType = z.infer<typeof NotificationEventType>;

/** A fleet run's wave in an event: which, and (once finished) its counts. */
export const NotificationWave = z.object({
  index: z.number().int(),
  name: z.string(),
  targets: z.number().int(),
  succeeded: z.number().int().optional(),
  failed: z.number().int().optional(),
  skipped: z.number().int().optional(),
});

/** A fleet run's totals when it ends: the run's counts, every outcome by result, and the failures by error code. */
export const NotificationFleetSummary = z.object({
  counts: z.object({ targets: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), skipped: z.number().int(), pending: z.number().int() }),
  /** succeeded, nothing-to-do, rehearsed, failed, skipped → how many targets */
  byResult: z.record(z.string(), z.number().int()),
  /** error code → how many targets failed with it */
  failedBy: z.record(z.string(), z.number().int()),
});

/** What an emitter says about an event; never SQL, never a secret: error text only as the scrubbed message. */
export const NotificationInput = z.object({
  event: NotificationEventType,
  jobId: z.string().optional(),
  requestedBy: z.string().optional(),
  reason: z.string().optional(),
  /** when a queued run is due (a scheduled time or the next maintenance window) */
  scheduledFor: z.string().optional(),
  fromVersion: z.number().int().optional(),
  toVersion: z.number().int().optional(),
  applied: z.number().int().optional(),
  durationMs: z.number().optional(),
  errorCode: z.union([ErrorCode, z.string().max(100)]).optional(),
  /** fleet events: the fleet run's mode */
  mode: z.enum(['run', 'dry-run']).optional(),
  /** fleet.wave.* events */
  wave: NotificationWave.optional(),
  /** fleet.run.halted, .succeeded and .failed: per-target events would be too many, so the end carries the totals */
  summary: NotificationFleetSummary.optional(),
  /** one line for people, already bounded and scrubbed of secrets */
  message: z.string().max(2_000).optional(),
});
export type NotificationInput = z.infer<typeof NotificationInput>;

/** One event as built once by notify(): the same id and time for every endpoint. */
export const Notification = NotificationInput.extend({ id: z.string(), at: z.string() });
export type Notification = z.infer<typeof Notification>;

/** The JSON body a `json` endpoint receives (signed with X-Duckmig-Signature). */
export const WebhookBody = z.object({
  /** the delivery id (same for every attempt, also in X-Duckmig-Delivery): receivers de-duplicate by it */
  deliveryId: z.string(),
  event: NotificationEventType,
  /** when this attempt was sent (ms since the epoch, also in X-Duckmig-Timestamp): receivers refuse old ones */
  timestamp: z.number().int(),
  data: Notification,
});
export type WebhookBody = z.infer<typeof WebhookBody>;

export const WebhookFormat = z.enum(['json', 'slack']);
export type WebhookFormat = z.infer<typeof WebhookFormat>;

export const WEBHOOK_QUEUE_NAME = 'webhooks';

/**
 * One delivery: an event for one endpoint. The endpoint is named by its id (a hash of its
 * URL), never by the URL itself, which may carry a secret (Slack's does).
 */
export const WebhookJobData = z.object({ endpointId: z.string(), notification: Notification });
export type WebhookJobData = z.infer<typeof WebhookJobData>;

/** One attempt of one delivery, as the delivery log keeps it. */
export const WebhookDelivery = z.object({
  deliveryId: z.string(),
  event: NotificationEventType,
  jobId: z.string().nullable(),
  endpoint: z.object({ id: z.string(), format: WebhookFormat, host: z.string() }),
  /** 1 for the first attempt */
  attempt: z.number().int(),
  /** the receiver's HTTP status, null when none came (timeout, refused connection) */
  statusCode: z.number().int().nullable(),
  ok: z.boolean(),
  /** why an attempt failed: http-status, redirect, timeout, network, endpoint-unknown */
  error: z.string().nullable(),
  durationMs: z.number(),
  at: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveriesResponse = z.object({ deliveries: z.array(WebhookDelivery), keep: z.number().int() });
export type WebhookDeliveriesResponse = z.infer<typeof WebhookDeliveriesResponse>;

/** How many attempts the delivery log keeps (newest first). */
export const WEBHOOK_DELIVERIES_KEPT = 200;

export const webhookKeys = (queue: string, prefix = 'duckmig') => ({
  /** list, newest first: WebhookDelivery JSON, capped at WEBHOOK_DELIVERIES_KEPT */
  deliveries: `${prefix}:${queue}:webhook-deliveries`,
});
