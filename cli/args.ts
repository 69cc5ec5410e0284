// Parses one command's options with node:util parseArgs (strict: an unknown option is a
// usage error), resolves the shared ones (--db, --dir, --target, --plan), and describes
// every option for `--help`: what it does and its default (defaults from config/).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cliPaths, DEFAULT_DB, DEFAULT_MIGRATIONS } from '../config/cli.js';
import { VARIABLES } from '../config/variables.js';
import { UsageError } from './exit-codes.js';

export { DEFAULT_DB, DEFAULT_MIGRATIONS } from '../config/cli.js';

type Env = Readonly<Record<string, string | undefined>>;
export type Options = NonNullable<ParseArgsConfig['options']>;

export const commonOptions = {
  db: { type: 'string' },
  dir: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** For the commands that execute migrations (run, dry-run --rehearse): more places they may read. */
export const allowPathOption = {
  'allow-path': { type: 'string', multiple: true },
} as const satisfies Options;

/** --db, else DUCKMIG_DB, else data/metadata.duckdb. */
export function dbPath(value: string | undefined, env: Env): string {
  return value ?? cliPaths(env).db;
}

/** --dir, else DUCKMIG_MIGRATIONS, else migrations/duckdb. */
export function migrationsDir(value: string | undefined, env: Env): string {
  return value ?? cliPaths(env).migrations;
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

export interface OptionHelp {
  /** the value's placeholder, e.g. PATH (none for a flag) */
  value?: string;
  description: string;
  /** shown as "(default: …)"; none for flags that are off unless given */
  default?: string;
}

/** What every option means, whichever command takes it. */
export const OPTION_HELP: Record<string, OptionHelp> = {
  db: { value: 'PATH', description: 'the DuckDB file', default: `$DUCKMIG_DB, else ${DEFAULT_DB}` },
  dir: { value: 'PATH', description: 'the folder of migration files', default: `$DUCKMIG_MIGRATIONS, else ${DEFAULT_MIGRATIONS}` },
  json: { description: 'print one JSON document on stdout (logs go to stderr)' },
  help: { description: 'print this help' },
  'allow-path': { value: 'PATH', description: 'a file or directory migrations may read, added to $DUCKMIG_ALLOWED_PATHS (repeatable)', default: 'none' },
  target: { value: 'VERSION', description: 'stop after this migration version (3, 003 or 20240101120000)', default: 'the latest' },
  plan: { value: 'PLAN_ID', description: "apply only if the pending files are still this dry-run's plan" },
  'all-or-nothing': { description: 'apply the whole batch in one transaction' },
  checkpoint: { value: 'POLICY', description: 'when to CHECKPOINT: each, end or a budget such as 2s,64MB', default: `$DUCKMIG_CHECKPOINT, else ${VARIABLES.DUCKMIG_CHECKPOINT.default.replaceAll('`', '')}` },
  'allow-out-of-order': { description: 'run a new file numbered below an applied one' },
  'skip-restore-point': { description: 'take no restore point before applying' },
  'allow-drift': { description: 'apply even when the live schema drifted from what the applied migrations produce (see duckmig drift)' },
  reason: { value: 'TEXT', description: 'why, kept in the run history' },
  comment: { value: 'TEXT', description: 'approve, reject, withdraw: why, kept with the decision in the database (required to reject)' },
  at: { value: 'ISO_TIME', description: 'remote mode: start no earlier than this time (a scheduled run; see duckmig scheduled)' },
  rehearse: { description: 'execute the batch on a copy of the database and discard it' },
  sql: { description: 'print whole statements' },
  list: { description: "list this database's restore points instead of taking one" },
  yes: { description: 'confirm replacing the database with the restore point' },
  from: { value: 'TOOL', description: 'the tool the migrations come from: goose, golang-migrate, dbmate or flyway' },
  out: { value: 'PATH', description: 'where the converted files are written (never overwritten)', default: DEFAULT_MIGRATIONS },
  'in-place': { description: 'use the folder as it is instead of converting it' },
  api: { value: 'URL', description: 'the duckmig API to go through (remote mode)', default: '$DUCKMIG_API' },
  token: { value: 'TOKEN', description: 'the API token', default: '$DUCKMIG_TOKEN' },
  wait: { description: 'follow the job until it ends' },
  version: { value: 'N', description: 'the schema at this applied version (its files replayed on an empty database)', default: 'the live database' },
  diff: { value: 'RANGE', description: 'what changed in the schema between two applied versions, given as A..B (e.g. 2..4)' },
  timeout: { value: 'SECONDS', description: 'stop waiting after this long (the job goes on)', default: 'no limit' },
  waves: { value: 'WAVES', description: 'the rollout, one wave per comma: a count, a cumulative percent or label=value, optionally named (canary:1,10%,100%)', default: 'canary:1,10%,100%' },
  select: { value: 'LABEL', description: 'only the targets carrying this label, given as label=value (repeatable: all must match)', default: 'every target' },
  halt: { value: 'PERCENT', description: "halt when more than this share of a wave's targets failed (any failure in the canary halts)", default: '0%' },
  sample: { value: 'N', description: 'a dry-run rehearses on this many targets, spread over the selection', default: 'every target' },
  'migrations-id': { value: 'ID', description: "refuse unless the workers' migration files are these (the id fleet status shows)" },
};

/** Where an option means something else for one command. */
export const COMMAND_OPTION_HELP: Record<string, Record<string, OptionHelp>> = {
  fleet: {
    wait: { description: 'follow the fleet run until it ends, with a progress bar' },
    timeout: { value: 'SECONDS', description: 'stop waiting after this long (the fleet run goes on)', default: 'no limit' },
    'allow-drift': { description: 'apply on targets whose schema drifted too (they are refused otherwise, with nothing applied)' },
  },
  validate: { db: { value: 'PATH', description: 'also check the history of this database', default: 'none: the files only' } },
  backup: { dir: { value: 'PATH', description: 'the folder of migration files (only to compute the version)', default: `$DUCKMIG_MIGRATIONS, else ${DEFAULT_MIGRATIONS}` } },
  import: { db: { value: 'PATH', description: "adopt the versions the tool recorded in this database's history", default: 'none' } },
  undo: {
    to: { value: 'VERSION', description: 'undo every migration applied above this version, newest first (0: all)' },
    preview: { description: 'rehearse the down scripts on a copy: schema diff, dropped data with row counts, plan id' },
    yes: { description: 'confirm running the down scripts (they drop what they drop, data included)' },
    plan: { value: 'PLAN_ID', description: "undo only if the down scripts and applied migrations are still the preview's plan" },
  },
};

/** The options part of `duckmig <command> --help`: one line per option, with its meaning and default. */
export function optionsHelp(command: string, options: Options): string {
  const rows = Object.entries(options).map(([name, option]) => {
    const help = COMMAND_OPTION_HELP[command]?.[name] ?? OPTION_HELP[name];
    if (!help) throw new Error(`option --${name} of ${command} has no description in OPTION_HELP`);
    const short = option.short ? `-${option.short}, ` : '';
    const left = `${short}--${name}${help.value ? ` ${help.value}` : ''}`;
    return [left, `${help.description}${help.default ? ` (default: ${help.default})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return `options:\n${rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n')}\n`;
}

/** --version N of `duckmig schema`: an applied version (0: the empty schema). */
export function parseVersion(value: string, what: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${what} must be a migration number such as 3, got "${value}"`);
  return Number(value);
}

/** --to of `duckmig undo`: the version to go back to (0: undo everything). */
export function parseUndoTarget(value: string | undefined): number {
  if (value === undefined) throw new UsageError('--to VERSION is required: the version to go back to (0 undoes every migration)');
  return parseVersion(value, '--to');
}

/** --diff A..B of `duckmig schema`. */
export function parseDiff(value: string): [number, number] {
  const match = /^(\d+)\.\.(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--diff takes two applied versions as A..B, e.g. 2..4, got "${value}"`);
  return [parseVersion(match[1]!, '--diff'), parseVersion(match[2]!, '--diff')];
}
