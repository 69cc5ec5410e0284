// What one delivery sends: the body for its endpoint's format (a signed JSON envelope, or
// Slack's incoming-webhook `{ text }`), and the headers that sign and identify it.
import { createHmac } from 'node:crypto';
import type { Notification, WebhookBody, WebhookFormat } from '../contract/index.js';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const VERBS: Record<Notification['event'], string> = {
  'run.queued': 'queued',
  'run.awaiting-approval': 'is awaiting approval',
  'run.started': 'started',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'undo.queued': 'queued',
  'undo.awaiting-approval': 'is awaiting approval',
  'undo.started': 'started',
  'undo.succeeded': 'succeeded',
  'undo.failed': 'failed',
  'fleet.run.queued': 'queued',
  'fleet.run.started': 'started',
  'fleet.wave.started': 'started a wave',
  'fleet.wave.finished': 'finished a wave',
  'fleet.run.halted': 'halted',
  'fleet.run.succeeded': 'succeeded',
  'fleet.run.failed': 'failed',
  'drift.found': 'found schema drift',
};

/** What the event is about: duckmig itself (drift), a run, an undo or a fleet run. */
function subject(n: Notification): string {
  if (n.event === 'drift.found') return 'duckmig';
  const noun = n.event.startsWith('undo.') ? 'undo' : n.event.startsWith('fleet.') ? `fleet ${n.mode ?? 'run'}` : 'run';
  return `duckmig ${noun} ${n.jobId ?? ''}`.trim();
}

/** One line for people (Slack): what happened, to which run, and the scrubbed reason. */
export function summaryLine(n: Notification): string {
  const parts = [`${subject(n)} ${VERBS[n.event]}`];
  if (n.wave) parts.push(`${n.wave.name} (${n.wave.targets} target(s)${n.wave.failed !== undefined ? `, ${n.wave.failed} failed` : ''})`);
  if (n.requestedBy) parts.push(`by ${n.requestedBy}`);
  if (n.scheduledFor) parts.push(`for ${n.scheduledFor}`);
  if (n.toVersion !== undefined) parts.push(`(version ${n.fromVersion ?? '?'} → ${n.toVersion})`);
  if (n.summary) parts.push(`(${n.summary.counts.succeeded} succeeded, ${n.summary.counts.failed} failed, ${n.summary.counts.skipped} skipped of ${n.summary.counts.targets})`);
  let line = parts.join(' ');
  if (n.reason) line += `: ${n.reason}`;
  if (n.errorCode) line += ` [${n.errorCode}]${n.message ? ` ${n.message}` : ''}`;
  else if (n.event === 'fleet.run.halted' && n.message) line += ` — ${n.message}`;
  return line;
}

export function webhookBody(format: WebhookFormat, deliveryId: string, notification: Notification, timestamp: number): string {
  if (format === 'slack') return JSON.stringify({ text: summaryLine(notification) });
  const body: WebhookBody = { deliveryId, event: notification.event, timestamp, data: notification };
  return JSON.stringify(body);
}

export function webhookHeaders(secret: string, deliveryId: string, notification: Notification, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'duckmig-webhooks',
    'x-duckmig-event': notification.event,
    'x-duckmig-delivery': deliveryId,
    'x-duckmig-timestamp': String(timestamp),
    'x-duckmig-signature': signBody(secret, body),
  };
}
