// Notifications and maintenance windows, the API's and the worker's view of their
// variables (DUCKMIG_WEBHOOK*, DUCKMIG_MAINTENANCE_WINDOW, DUCKMIG_WINDOW_POLICY): each
// view reads them together with its own, so every bad value is reported at once.
import type { MaintenanceWindow } from '../core/maintenance-window.js';
import { ConfigError } from './config-error.js';
import type { ValueOf } from './variables.js';
import type { WebhookEndpoint } from './webhook-list.js';

export interface NotificationSettings {
  endpoints: WebhookEndpoint[];
  /** the HMAC-SHA256 key of X-Duckmig-Signature */
  secret: string;
  /** per delivery attempt */
  timeoutMs: number;
}

export interface MaintenanceSettings {
  windows: MaintenanceWindow[];
  /** outside a window: schedule the run for the next opening, or refuse it */
  policy: 'wait' | 'refuse';
}

export const GOVERNANCE_VARIABLES = ['DUCKMIG_WEBHOOKS', 'DUCKMIG_WEBHOOK_SECRET', 'DUCKMIG_WEBHOOK_TIMEOUT_MS', 'DUCKMIG_MAINTENANCE_WINDOW', 'DUCKMIG_WINDOW_POLICY'] as const;

type Values = { [N in (typeof GOVERNANCE_VARIABLES)[number]]: ValueOf<N> };

export interface GovernanceSettings {
  /** absent when no webhook is configured */
  notifications?: NotificationSettings;
  /** absent when no window is configured: runs may start at any time */
  maintenance?: MaintenanceSettings;
}

/** The settings from the variables' values; throws ConfigError for webhooks without a secret. */
export function governanceSettingsFrom(v: Values): GovernanceSettings {
  if (v.DUCKMIG_WEBHOOKS.length > 0 && !v.DUCKMIG_WEBHOOK_SECRET) {
    throw new ConfigError([
      { variable: 'DUCKMIG_WEBHOOK_SECRET', message: 'DUCKMIG_WEBHOOK_SECRET must be set (16+ characters) when DUCKMIG_WEBHOOKS is: every delivery is signed with it' },
    ]);
  }
  return {
    ...(v.DUCKMIG_WEBHOOKS.length > 0 && {
      notifications: { endpoints: v.DUCKMIG_WEBHOOKS, secret: v.DUCKMIG_WEBHOOK_SECRET!, timeoutMs: v.DUCKMIG_WEBHOOK_TIMEOUT_MS },
    }),
    ...(v.DUCKMIG_MAINTENANCE_WINDOW && { maintenance: { windows: v.DUCKMIG_MAINTENANCE_WINDOW, policy: v.DUCKMIG_WINDOW_POLICY } }),
  };
}
