// Specification of `duckmig <command> --help` and of configuration errors as CLI users
// meet them: every option is listed with what it does and its default, the service
// commands list the environment they read, and a bad setting stops with exit 2.
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { optionsHelp } from './args.js';
import { commandHelp, commands } from './cli.js';
import { optionsFor } from './remote/index.js';

describe('duckmig <command> --help', () => {
  it('lists every option of every command, local and remote, with a description', () => {
    const described = (help: string, option: string) => new RegExp(`^  (-h, )?--${option}( [A-Z_]+)?  +\\S`, 'm').test(help);
    for (const [name, command] of Object.entries(commands)) {
      const help = commandHelp(name, command);
      for (const option of Object.keys(command.options)) expect(described(help, option), `${name} --${option}`).toBe(true);
    }
    for (const [name, options] of Object.entries(optionsFor)) {
      const help = optionsHelp(name, options);
      for (const option of Object.keys(options)) expect(described(help, option), `remote ${name} --${option}`).toBe(true);
    }
  });

  it('run --help shows hand-picked options with their defaults', async () => {
    const res = await runCli(['run', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^usage: duckmig run /);
    expect(res.stdout).toMatch(/^ {2}--db PATH +the DuckDB file \(default: \$DUCKMIG_DB, else data\/metadata\.duckdb\)$/m);
    expect(res.stdout).toMatch(/^ {2}--dir PATH +the folder of migration files \(default: \$DUCKMIG_MIGRATIONS, else migrations\/duckdb\)$/m);
    expect(res.stdout).toMatch(/^ {2}--checkpoint POLICY +when to CHECKPOINT: each, end or a budget such as 2s,64MB \(default: \$DUCKMIG_CHECKPOINT, else 2s,64MB\)$/m);
    expect(res.stdout).toMatch(/^ {2}--skip-restore-point +take no restore point before applying$/m);
  });

  it('fleet --help lists each subcommand, the rollout options with their defaults and the exit codes of --wait', () => {
    const help = commandHelp('fleet', commands.fleet!);
    for (const sub of ['status', 'run|dry-run', 'pause|resume|cancel', 'retry-failed']) expect(help).toMatch(new RegExp(`^  fleet ${sub.replaceAll('|', '\\|')}( |$)`, 'm'));
    expect(help).toMatch(/^ {2}--waves WAVES +the rollout, one wave per comma: .* \(default: canary:1,10%,100%\)$/m);
    expect(help).toMatch(/^ {2}--halt PERCENT +halt when more than this share of a wave's targets failed .*\(default: 0%\)$/m);
    expect(help).toContain('exit codes with --wait: 0 succeeded, 1 failed, 5 halted, 6 cancelled');
  });

  it('validate --help says --db is optional there (files only by default)', async () => {
    const res = await runCli(['validate', '--help']);
    expect(res.stdout).toMatch(/^ {2}--db PATH +also check the history of this database \(default: none: the files only\)$/m);
  });

  it('remote mode lists --api and --token with the variables they default to', async () => {
    const res = await runCli(['run', '--api', 'http://127.0.0.1:1', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^ {2}--token TOKEN +the API token \(default: \$DUCKMIG_TOKEN\)$/m);
    expect(res.stdout).toMatch(/^ {2}--timeout SECONDS +stop waiting after this long \(the job goes on\) \(default: no limit\)$/m);
  });

  it('worker --help lists the environment the worker reads, and not the API-only variables', async () => {
    const res = await runCli(['worker', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^ {2}REDIS_URL +an external Redis, required by duckmig api \/ duckmig worker \(default: unset/m);
    expect(res.stdout).toMatch(/^ {2}DUCKMIG_LOCK_DURATION_MS +BullMQ job lock \(default: 20000\)$/m);
    expect(res.stdout).not.toMatch(/^ {2}PORT /m);
  });
});

describe('configuration errors in the CLI', () => {
  it('a bad DUCKMIG_LOCK_RETRIES stops a local command with exit 2 naming it', async () => {
    const res = await runCli(['status', '--db', ':memory:', '--dir', 'migrations/duckdb'], { env: { DUCKMIG_LOCK_RETRIES: 'many' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('DUCKMIG_LOCK_RETRIES must be a whole number of attempts ≥ 1, got "many"');
  });

  it('api and worker without REDIS_URL both exit 2 with the same message', async () => {
    const [api, worker] = await Promise.all([runCli(['api'], { env: { REDIS_URL: '' } }), runCli(['worker'], { env: { REDIS_URL: '' } })]);
    expect(api.code).toBe(2);
    expect(worker.code).toBe(2);
    expect(api.stderr).toMatch(/REDIS_URL is not set: the API needs a Redis \(example: REDIS_URL=redis:\/\/127\.0\.0\.1:6379\)/);
    expect(worker.stderr).toMatch(/REDIS_URL is not set: the worker needs a Redis \(example: REDIS_URL=redis:\/\/127\.0\.0\.1:6379\)/);
  });
});
