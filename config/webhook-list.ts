// DUCKMIG_WEBHOOKS: `format:url` entries, comma-separated, parsed into endpoints. Each
// gets an id (a hash of its URL) by which queues, logs and the delivery log name it, since
// the URL itself may carry a secret.
import { createHash } from 'node:crypto';
import type { WebhookFormat } from '../contract/index.js';

export interface WebhookEndpoint {
  id: string;
  format: WebhookFormat;
  url: string;
  /** host[:port] only: what may be shown */
  host: string;
}

/** The endpoints and, for bad entries, problems that never quote the URL (it may be a secret). */
export function parseWebhookList(raw: string): { endpoints: WebhookEndpoint[]; problems: string[] } {
  const endpoints: WebhookEndpoint[] = [];
  const problems: string[] = [];
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const colon = entry.indexOf(':');
      const format = entry.slice(0, colon);
      const url = entry.slice(colon + 1);
      if (colon < 0 || (format !== 'json' && format !== 'slack')) {
        problems.push(`entry ${i + 1} must start with json: or slack:`);
        return;
      }
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        problems.push(`entry ${i + 1} is not a URL after ${format}:`);
        return;
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        problems.push(`entry ${i + 1} must be an http:// or https:// URL`);
        return;
      }
      const id = createHash('sha256').update(url).digest('hex').slice(0, 12);
      endpoints.push({ id, format, url, host: parsed.host });
    });
  return { endpoints, problems };
}
