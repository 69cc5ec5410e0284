// Restore-point settings, the worker's and the CLI's local mode's view of the environment
// schema (DUCKMIG_RESTORE_*): where they live, how many to keep, a size threshold, and the
// off switch. Also the test-only crash injection for restores (honoured only when NODE_ENV=test).
import { dirname, join } from 'node:path';
import { RestorePoints } from '../core/restore-points.js';
import type { RestoreStep } from '../core/restore.js';
import { readVariables, type ValueOf } from './variables.js';

export interface RestoreSettings {
  enabled: boolean;
  dir: string;
  keep: number;
  maxBytes: number;
  /** tests only: the process sends itself this signal right after this step of a restore's swap */
  testSignal?: { step: RestoreStep; signal: 'SIGKILL' | 'SIGSTOP' };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variables restore points are configured by. */
export const RESTORE_VARIABLES = ['DUCKMIG_RESTORE_POINTS', 'DUCKMIG_RESTORE_DIR', 'DUCKMIG_RESTORE_KEEP', 'DUCKMIG_RESTORE_MAX_MB', 'NODE_ENV', 'DUCKMIG_TEST_RESTORE_SIGNAL'] as const;

/** The settings from the variables' values (a view reads them together with its others). */
export function restoreSettingsFrom(v: { [N in (typeof RESTORE_VARIABLES)[number]]: ValueOf<N> }, databasePath: string): RestoreSettings {
  // the crash injection is a test tool: a production process never honours it
  const testSignal = v.NODE_ENV === 'test' ? v.DUCKMIG_TEST_RESTORE_SIGNAL : undefined;
  return {
    ...(testSignal && { testSignal }),
    enabled: v.DUCKMIG_RESTORE_POINTS,
    dir: v.DUCKMIG_RESTORE_DIR ?? join(dirname(databasePath), 'restore-points'),
    keep: v.DUCKMIG_RESTORE_KEEP,
    maxBytes: v.DUCKMIG_RESTORE_MAX_MB * 1024 * 1024,
  };
}

/** `env` without the test-only variables unless NODE_ENV=test: a production process does not even check them. */
export function outsideTests(env: Env): Env {
  return env.NODE_ENV?.trim() === 'test' ? env : { ...env, DUCKMIG_TEST_RESTORE_SIGNAL: undefined };
}

/** The restore-point settings for the database at `databasePath`; throws ConfigError. */
export function restoreSettings(databasePath: string, env: Env): RestoreSettings {
  return restoreSettingsFrom(readVariables(outsideTests(env), RESTORE_VARIABLES), databasePath);
}

export function restorePointsFrom(settings: RestoreSettings): RestorePoints {
  return new RestorePoints({ dir: settings.dir, keep: settings.keep, maxBytes: settings.maxBytes });
}

/** The restore's onStep for the settings: the test signal, when one is configured. */
export function restoreStepHook(settings: RestoreSettings): ((step: RestoreStep) => void) | undefined {
  const test = settings.testSignal;
  if (!test) return undefined;
  return (step) => {
    if (step === test.step) process.kill(process.pid, test.signal);
  };
}
