// Restore-point settings from the environment, shared by the worker and the CLI's local
// mode: where they live, how many to keep, a size threshold, and the off switch. Also the
// test-only crash injection for restores (honoured only when NODE_ENV=test).
import { dirname, join } from 'node:path';
import { RestorePoints } from '../core/restore-points.js';
import { RESTORE_STEPS, type RestoreStep } from '../core/restore.js';

export interface RestoreSettings {
  enabled: boolean;
  dir: string;
  keep: number;
  maxBytes: number;
  /** tests only: the process sends itself this signal right after this step of a restore's swap */
  testSignal?: { step: RestoreStep; signal: 'SIGKILL' | 'SIGSTOP' };
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
    ...testSignal(env),
    enabled: ['on', 'true', '1'].includes(switchValue),
    dir: env.DUCKMIG_RESTORE_DIR || join(dirname(databasePath), 'restore-points'),
    keep: positiveInt(env, 'DUCKMIG_RESTORE_KEEP', 5),
    maxBytes: positiveInt(env, 'DUCKMIG_RESTORE_MAX_MB', 10_240) * 1024 * 1024,
  };
}

export function restorePointsFrom(settings: RestoreSettings): RestorePoints {
  return new RestorePoints({ dir: settings.dir, keep: settings.keep, maxBytes: settings.maxBytes });
}

/**
 * DUCKMIG_TEST_RESTORE_SIGNAL=<step>:<SIGKILL|SIGSTOP>, e.g. `swapped:SIGKILL`: kills (or
 * stops) the restoring process right after that step, so tests can prove that a crash at any
 * step loses nothing. Ignored unless NODE_ENV=test: a production process never reads it.
 */
function testSignal(env: NodeJS.ProcessEnv): Pick<RestoreSettings, 'testSignal'> {
  const raw = env.DUCKMIG_TEST_RESTORE_SIGNAL;
  if (env.NODE_ENV !== 'test' || !raw) return {};
  const [step, signal] = raw.split(':');
  if (!(RESTORE_STEPS as readonly string[]).includes(step!) || (signal !== 'SIGKILL' && signal !== 'SIGSTOP')) {
    throw new RestoreSettingsError(`DUCKMIG_TEST_RESTORE_SIGNAL must be <step>:<SIGKILL|SIGSTOP> with a step among ${RESTORE_STEPS.join(', ')}, got "${raw}"`);
  }
  return { testSignal: { step: step as RestoreStep, signal } };
}

/** The restore's onStep for the settings: the test signal, when one is configured. */
export function restoreStepHook(settings: RestoreSettings): ((step: RestoreStep) => void) | undefined {
  const test = settings.testSignal;
  if (!test) return undefined;
  return (step) => {
    if (step === test.step) process.kill(process.pid, test.signal);
  };
}
