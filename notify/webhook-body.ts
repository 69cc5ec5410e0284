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
  'run.undo': 'was undone',
  'fleet.run.started': 'started (fleet)',
  'fleet.run.finished': 'finished (fleet)',
  'drift.found': 'found schema drift',
};

/** One line for people (Slack): what happened, to which run, and the scrubbed reason. */
export function summaryLine(n: Notification): string {
  const what = n.event === 'drift.found' ? 'duckmig' : `duckmig run ${n.jobId ?? ''}`.trim();
  const parts = [`${what} ${VERBS[n.event]}`];
  if (n.requestedBy) parts.push(`by ${n.requestedBy}`);
  if (n.scheduledFor) parts.push(`for ${n.scheduledFor}`);
  if (n.toVersion !== undefined) parts.push(`(version ${n.fromVersion ?? '?'} → ${n.toVersion})`);
  let line = parts.join(' ');
  if (n.reason) line += `: ${n.reason}`;
  if (n.errorCode) line += ` [${n.errorCode}]${n.message ? ` ${n.message}` : ''}`;
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
