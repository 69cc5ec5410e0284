// Parses one command's options with node:util parseArgs (strict: an unknown option is a
// usage error) and resolves the shared ones: --db, --dir, --target, --json.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes.js';

export const DEFAULT_DB = 'data/metadata.duckdb';
export const DEFAULT_MIGRATIONS = 'migrations/duckdb';

export const commonOptions = {
  db: { type: 'string' },
  dir: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** For the commands that execute migrations (run, dry-run --rehearse): more places they may read. */
export const allowPathOption = {
  'allow-path': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export function dbPath(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return value ?? (env.DUCKMIG_DB || DEFAULT_DB);
}

export function migrationsDir(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return value ?? (env.DUCKMIG_MIGRATIONS || DEFAULT_MIGRATIONS);
}

export function parseTarget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--target must be a migration number such as 3, 003 or 20240101120000, got "${value}"`);
  }
  return Number(value);
}

/** --plan: a plan id from a dry-run (64 hexadecimal digits). */
export function parsePlan(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9a-f]{64}$/.test(value)) throw new UsageError(`--plan must be a plan id from a dry-run (64 hexadecimal digits), got "${value}"`);
  return value;
}
