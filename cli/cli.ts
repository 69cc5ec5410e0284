// The `duckmig` command table and dispatcher: dispatches to one command module per command, maps errors
// to exit codes (0 ok, 1 failed, 2 usage, 3 database locked/unreadable or API unreachable).
// status/run/dry-run/cancel/restore/schema/drift talk to a running duckmig API when --api (or DUCKMIG_API) is given.
import { DatabaseLockedError, DatabaseOpenError } from '../core/index.js';
import { cliLogLevel, cliRemote } from '../config/cli.js';
import { ConfigError } from '../config/config-error.js';
import { processEnvironment } from '../config/variables.js';
import { environmentHelp } from './environment-help.js';
import { commonOptions, DEFAULT_DB, DEFAULT_MIGRATIONS, optionsHelp, type Options } from './args.js';
import { EXIT, UsageError } from './exit-codes.js';
import { cliLogger } from './logger.js';
import { stderr, stdout, type Out } from './output.js';
import { backup, options as backupOptions, usage as backupUsage } from './commands/backup.js';
import { drift, usage as driftUsage } from './commands/drift.js';
import { dryRun, options as dryRunOptions, usage as dryRunUsage } from './commands/dry-run.js';
import { importCommand, options as importOptions, usage as importUsage } from './commands/import.js';
import { restore, options as restoreOptions, usage as restoreUsage } from './commands/restore.js';
import { newMigration, usage as newUsage } from './commands/new.js';
import { undo, options as undoOptions, usage as undoUsage } from './commands/undo.js';
import { run, options as runOptions, usage as runUsage } from './commands/run.js';
import { schema, options as schemaOptions, usage as schemaUsage } from './commands/schema.js';
import { status, usage as statusUsage } from './commands/status.js';
import type { CommandContext } from './commands/types.js';
import { validate, usage as validateUsage } from './commands/validate.js';
import { apiUsage, approveUsage, cancelUsage, rejectUsage, scheduledUsage, startUsage, withdrawUsage, workerUsage } from './commands/server-usage.js';
import { fleetOptions, fleetUsage } from './remote/fleet-options.js';

export interface Command {
  summary: string;
  usage: string;
  /** the options it takes, described by `--help` */
  options: Options;
  /** a service command: `--help` also lists the environment variables it reads */
  reads?: 'start' | 'api' | 'worker';
  run(argv: string[], ctx: CommandContext, out: Out): Promise<number>;
}

const serviceOptions = { help: commonOptions.help } as const satisfies Options;
const cancelOptions = {
  api: { type: 'string' },
  token: { type: 'string' },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  json: commonOptions.json,
  help: commonOptions.help,
} as const satisfies Options;
const decisionOptions = {
  api: { type: 'string' },
  token: { type: 'string' },
  comment: { type: 'string' },
  json: commonOptions.json,
  help: commonOptions.help,
} as const satisfies Options;

/** Commands that go through the API when --api URL (or DUCKMIG_API) is given. */
const REMOTE_CAPABLE = new Set(['status', 'run', 'dry-run', 'cancel', 'restore', 'undo', 'schema', 'drift', 'scheduled', 'approve', 'reject', 'withdraw']);

/** A remote-only command: locally it only says it needs an API. */
function remoteOnly(summary: string, usage: string): Command {
  return {
    summary,
    usage,
    options: decisionOptions,
    run: async () => {
      throw new UsageError(`${usage.split(' ')[1]} works through a running API: pass --api URL --token TOKEN (or set DUCKMIG_API, DUCKMIG_TOKEN)`);
    },
  };
}
const scheduledOptions = { api: cancelOptions.api, token: cancelOptions.token, json: commonOptions.json, help: commonOptions.help } as const satisfies Options;

export const commands: Record<string, Command> = {
  status: { summary: 'show version, applied and pending migrations, problems', usage: statusUsage, options: commonOptions, run: status },
  schema: { summary: 'show the schema (tables, columns, constraints, indexes, row counts), at an applied version, or the diff between two', usage: schemaUsage, options: schemaOptions, run: schema },
  drift: { summary: 'compare the live schema with what the applied migrations produce (exit 1 when they differ)', usage: driftUsage, options: commonOptions, run: drift },
  validate: { summary: 'check migration files (and, with --db, the history)', usage: validateUsage, options: commonOptions, run: validate },
  run: { summary: 'apply pending migrations', usage: runUsage, options: runOptions, run },
  'dry-run': { summary: 'show the plan; --rehearse executes it and rolls back', usage: dryRunUsage, options: dryRunOptions, run: dryRun },
  new: { summary: 'create the next numbered migration file', usage: newUsage, options: commonOptions, run: newMigration },
  import: { summary: "convert another tool's migrations (goose, golang-migrate, dbmate, Flyway) and adopt its history", usage: importUsage, options: importOptions, run: importCommand },
  backup: { summary: 'take a restore point of the database (--list shows them)', usage: backupUsage, options: backupOptions, run: backup },
  restore: { summary: 'put a restore point back in place of the database', usage: restoreUsage, options: restoreOptions, run: restore },
  undo: { summary: 'run down scripts back to a version (--preview rehearses them on a copy first)', usage: undoUsage, options: undoOptions, run: undo },
  cancel: {
    summary: 'cancel a queued or running job (remote mode only)',
    usage: cancelUsage,
    options: cancelOptions,
    run: async () => {
      throw new UsageError('cancel works through a running API: pass --api URL --token TOKEN (or set DUCKMIG_API, DUCKMIG_TOKEN)');
    },
  },
  approve: remoteOnly('approve a run request awaiting approval (remote mode only; another admin)', approveUsage),
  reject: remoteOnly('reject a run request awaiting approval, with a comment (remote mode only; another admin)', rejectUsage),
  withdraw: remoteOnly('withdraw your own run request awaiting approval (remote mode only)', withdrawUsage),
  fleet: {
    summary: 'a fleet of databases through the API: status, run, dry-run, pause, resume, cancel, retry-failed',
    usage: fleetUsage,
    options: fleetOptions,
    run: async (argv, ctx, out) => (await import('./remote/fleet.js')).fleetCommand(argv, ctx, out),
  },
  scheduled: {
    summary: 'list scheduled runs (remote mode only)',
    usage: scheduledUsage,
    options: scheduledOptions,
    run: async () => {
      throw new UsageError('scheduled works through a running API: pass --api URL --token TOKEN (or set DUCKMIG_API, DUCKMIG_TOKEN)');
    },
  },
  // the service commands load BullMQ, Hono and the API only when they run
  start: {
    summary: 'run everything here: managed Redis (unless REDIS_URL), worker, API and UI',
    usage: startUsage,
    options: serviceOptions,
    reads: 'start',
    run: async (argv, ctx, out) => (await import('./commands/start.js')).startCommand(argv, ctx, out),
  },
  api: {
    summary: 'run the HTTP API and admin UI (needs REDIS_URL)',
    usage: apiUsage,
    options: serviceOptions,
    reads: 'api',
    run: async (argv, ctx, out) => (await import('./commands/api.js')).apiCommand(argv, ctx, out),
  },
  worker: {
    summary: 'run the worker that owns the database (needs REDIS_URL)',
    usage: workerUsage,
    options: serviceOptions,
    reads: 'worker',
    run: async (argv, ctx, out) => (await import('./commands/worker.js')).workerCommand(argv, ctx, out),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `duckmig: DuckDB schema migrations as versioned SQL files

usage: duckmig <command> [options]

${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

local mode (opens the file itself):  --db PATH (default $DUCKMIG_DB or ${DEFAULT_DB})
                                     --dir PATH (default $DUCKMIG_MIGRATIONS or ${DEFAULT_MIGRATIONS})
remote mode (through a running API): --api URL --token TOKEN (or $DUCKMIG_API, $DUCKMIG_TOKEN) [--wait]
every command: --json prints one JSON document on stdout; logs go to stderr
exit codes: 0 ok, 1 migration/validation failed, 2 usage error, 3 database locked/unreadable or API unreachable, 4 run request not approved,
            5 fleet run halted, 6 fleet run cancelled
run \`duckmig <command> --help\` for a command's options
`;
}

/** `duckmig <command> --help`: the usage line, every option with its default, and a service's environment. */
export function commandHelp(name: string, command: Command): string {
  const environment = command.reads ? `\n${environmentHelp(command.reads)}` : '';
  return `usage: ${command.usage}\n\n${optionsHelp(name, command.options)}${environment}`;
}

type Env = CommandContext['env'];

function wantsRemote(argv: string[], env: Env): boolean {
  return argv.some((a) => a === '--api' || a.startsWith('--api=')) || Boolean(cliRemote(env).api);
}

export async function main(argv: string[], env: Env = processEnvironment(), out: Out = stdout): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out.write(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    out.write('duckmig 0.1.0\n');
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command && !REMOTE_CAPABLE.has(name)) {
    stderr.write(`duckmig: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  const ctx: CommandContext = { logger: cliLogger(env), env };
  try {
    if (REMOTE_CAPABLE.has(name) && (wantsRemote(rest, env) || !command)) {
      const { runRemote } = await import('./remote/index.js');
      return await runRemote(name, rest, ctx, out);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      out.write(commandHelp(name, command!));
      return EXIT.ok;
    }
    return await command!.run(rest, ctx, out);
  } catch (err) {
    if (err instanceof UsageError) {
      const remote = REMOTE_CAPABLE.has(name) && (wantsRemote(rest, env) || !command);
      const usage = remote ? (await import('./remote/index.js')).remoteUsage[name] : command?.usage;
      stderr.write(`duckmig ${name}: ${err.message}\nusage: ${usage ?? `duckmig ${name} --help`}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      stderr.write(`duckmig ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof DatabaseLockedError || err instanceof DatabaseOpenError) {
      stderr.write(`duckmig ${name}: ${err.message}\n`);
      return EXIT.unavailable;
    }
    const e = err as Error & { exitCode?: number };
    stderr.write(`duckmig ${name}: ${e.message}\n`);
    if (cliLogLevel(env) === 'debug' && e.stack) stderr.write(`${e.stack}\n`);
    return typeof e.exitCode === 'number' ? e.exitCode : EXIT.failed;
  }
}
