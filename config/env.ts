// Checks for the environment variables every duckmig process reads (REDIS_URL, LOG_LEVEL,
// DUCKMIG_MAX_FILE_BYTES, DUCKMIG_ALLOWED_PATHS),
// shared by the API's, the worker's and the CLI's configuration: each check returns the
// value or pushes a message that names the variable and shows an example.
import type { LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A redis:// or rediss:// URL, or null (unset, or invalid with a problem pushed). */
export function checkRedisUrl(raw: string | undefined, problems: string[]): string | null {
  if (raw === undefined) return null;
  let protocol = '';
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = '';
  }
  if (protocol === 'redis:' || protocol === 'rediss:') return raw;
  // the URL may carry a password: name the problem, not the value
  problems.push('REDIS_URL must be a redis:// or rediss:// URL (example: REDIS_URL=redis://127.0.0.1:6379)');
  return null;
}

/** A pino level (default `fallback`); an unknown one pushes a problem. */
export function checkLogLevel(raw: string | undefined, problems: string[], fallback: LevelWithSilent = 'info'): LevelWithSilent {
  const level = (raw ?? fallback).trim().toLowerCase() as LevelWithSilent;
  if (LOG_LEVELS.includes(level)) return level;
  problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)} (example: LOG_LEVEL=info)`);
  return fallback;
}

/**
 * DUCKMIG_MAX_FILE_BYTES: the largest migration file accepted, in bytes; undefined when
 * unset (the migration source's default, 64 MiB, applies).
 */
export function checkMaxFileBytes(raw: string | undefined, problems: string[]): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (/^\d+$/.test(raw.trim()) && n >= 1 && Number.isSafeInteger(n)) return n;
  problems.push(`DUCKMIG_MAX_FILE_BYTES must be a whole number of bytes, got ${JSON.stringify(raw)} (example: DUCKMIG_MAX_FILE_BYTES=67108864 for 64 MiB)`);
  return undefined;
}

/**
 * DUCKMIG_ALLOWED_PATHS: files and directories migrations may read (and write) besides the
 * database, comma-separated; undefined when unset (migrations reach no file at all).
 */
export function checkAllowedPaths(raw: string | undefined, problems: string[]): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const paths = raw.split(',').map((p) => p.trim()).filter(Boolean);
  if (paths.some((p) => p.includes('\0')) || paths.length === 0) {
    problems.push('DUCKMIG_ALLOWED_PATHS must be file system paths, comma-separated (example: DUCKMIG_ALLOWED_PATHS=/srv/app/seeds,/srv/app/countries.csv)');
    return undefined;
  }
  return paths;
}
