// Restore-point settings from the environment, shared by the worker and the CLI's local
// mode: where they live, how many to keep, a size threshold, and the off switch.
import { dirname, join } from 'node:path';
import { RestorePoints } from './runner/restore-points.js';

export interface RestoreSettings {
  enabled: boolean;
  dir: string;
  keep: number;
  maxBytes: number;
}

export class RestoreSettingsError extends Error {
  override name = 'RestoreSettingsError';
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new RestoreSettingsError(`${name} must be a whole number ≥ 1, got "${raw}" (e.g. ${name}=${fallback})`);
  return Number(raw);
}

/**
 * DUCKMIG_RESTORE_POINTS = on | off (default on), DUCKMIG_RESTORE_DIR (default
 * restore-points/ beside the database file), DUCKMIG_RESTORE_KEEP (default 5),
 * DUCKMIG_RESTORE_MAX_MB (skip automatic ones when the database is larger; default 10240).
 */
export function restoreSettings(databasePath: string, env: NodeJS.ProcessEnv = process.env): RestoreSettings {
  const switchValue = (env.DUCKMIG_RESTORE_POINTS || 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(switchValue)) {
    throw new RestoreSettingsError(`DUCKMIG_RESTORE_POINTS must be "on" or "off", got "${env.DUCKMIG_RESTORE_POINTS}"`);
  }
  return {
    enabled: ['on', 'true', '1'].includes(switchValue),
    dir: env.DUCKMIG_RESTORE_DIR || join(dirname(databasePath), 'restore-points'),
    keep: positiveInt(env, 'DUCKMIG_RESTORE_KEEP', 5),
    maxBytes: positiveInt(env, 'DUCKMIG_RESTORE_MAX_MB', 10_240) * 1024 * 1024,
  };
}

export function restorePointsFrom(settings: RestoreSettings): RestorePoints {
  return new RestorePoints({ dir: settings.dir, keep: settings.keep, maxBytes: settings.maxBytes });
}
