// `duckmig import --from goose|golang-migrate|dbmate|flyway DIR`: converts another tool's
// migrations folder into duckmig's layout (--out, default migrations/duckdb), or with
// --in-place uses it as it is, and with --db adopts the versions that tool recorded in the
// database as 'adopted' (not re-run). A dirty or failed history, or a recorded version
// without a file, is refused before anything is written.
import { existsSync } from 'node:fs';
import {
  adoptToolHistory,
  appliedFiles,
  Database,
  FileMigrationSource,
  readToolHistory,
  TOOLS,
  ToolHistoryError,
  type AdoptableFile,
  type Tool,
  type ToolHistory,
} from '../../core/index.js';
import { commonOptions, DEFAULT_MIGRATIONS, parse } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { planImport, writeImport, type ImportPlan } from '../import/convert.js';
import { lockAttempts } from '../local.js';
import { printJson, renderProblems, stderr, table, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = `duckmig import --from ${TOOLS.join('|')} DIR [--out PATH | --in-place] [--db PATH] [--json]`;

export const options = {
  ...commonOptions,
  from: { type: 'string' },
  out: { type: 'string' },
  'in-place': { type: 'boolean', default: false },
} as const;

/** A refusal that names what to do; exits 1 with its message. */
class ImportRefused extends Error {
  override name = 'ImportRefused';
  readonly exitCode = EXIT.failed;
}

/** The files as duckmig will read them (after conversion, or in place), keyed to the tool's versions. */
async function adoptable(dir: string, plan: ImportPlan | null): Promise<AdoptableFile[]> {
  const scan = await new FileMigrationSource(dir).scan();
  const errors = scan.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new ImportRefused(`${dir} cannot be used as it is:\n${renderProblems(errors)}`);
  const toolVersion = new Map(plan?.migrations.map((m) => [m.version, m.toolVersion]));
  return scan.migrations.map((m) => ({ toolVersion: toolVersion.get(m.version) ?? String(m.version), version: m.version, name: m.name, checksum: m.checksum }));
}

export async function importCommand(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values, positionals } = parse(argv, options, true);
  const tool = values.from as Tool | undefined;
  if (!tool || !TOOLS.includes(tool)) throw new UsageError(`--from must be one of ${TOOLS.join(', ')}`);
  if (positionals.length !== 1) throw new UsageError(`give the ${tool} migrations folder, e.g. \`duckmig import --from ${tool} db/migrations\``);
  const dir = positionals[0]!;
  if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
  if (values['in-place'] && values.out) throw new UsageError('--in-place and --out exclude each other');
  if (values.db && !existsSync(values.db)) throw new UsageError(`database ${values.db} does not exist (import adopts an existing database's history)`);

  const inPlace = values['in-place'];
  const target = inPlace ? dir : (values.out ?? DEFAULT_MIGRATIONS);
  const plan = inPlace ? null : planImport(tool, dir);
  if (plan && plan.errors.length > 0) throw new ImportRefused(`cannot import ${dir}:\n${plan.errors.map((e) => `  ${e}`).join('\n')}`);

  const db = values.db ? await Database.open(values.db, { logger: ctx.logger, attempts: lockAttempts(ctx.env) }) : null;
  try {
    let history: ToolHistory | null = null;
    let applied: ReturnType<typeof appliedFiles> = [];
    if (db) {
      history = await readToolHistory(db.connection, tool);
      // in place the files are final now; converted ones are checked against the plan first
      const files = inPlace ? await adoptable(dir, null) : plan!.migrations.map((m) => ({ toolVersion: m.toolVersion, version: m.version, name: '', checksum: '' }));
      if (history) applied = appliedFiles(history, files);
    }
    const written = plan ? writeImport(plan, target) : [];
    let adopted: number[] = [];
    if (db && history) {
      const files = new Map((await adoptable(target, plan)).map((f) => [f.version, f]));
      adopted = await adoptToolHistory(
        db.connection,
        history,
        applied.map((a) => ({ ...a, file: files.get(a.file.version)! })),
      );
    }
    report(out, values.json, { tool, dir, target, inPlace, plan, written, db: values.db ?? null, history, adopted, applied: applied.length });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ToolHistoryError) throw new ImportRefused(err.message);
    throw err;
  } finally {
    await db?.close();
  }
}

function report(
  out: Out,
  json: boolean,
  r: { tool: Tool; dir: string; target: string; inPlace: boolean; plan: ImportPlan | null; written: string[]; db: string | null; history: ToolHistory | null; adopted: number[]; applied: number },
): void {
  const skipped = r.plan?.skipped ?? [];
  if (json) {
    printJson(
      {
        from: r.tool,
        dir: r.dir,
        out: r.target,
        inPlace: r.inPlace,
        files: r.plan?.migrations.length ?? null,
        migrations: r.plan?.migrations.map((m) => ({ source: m.source, toolVersion: m.toolVersion, version: m.version, file: m.file, down: m.down?.file ?? null })) ?? [],
        written: r.written,
        skipped,
        database: r.db,
        history: r.history && { table: r.history.table, applied: r.applied },
        adopted: r.adopted,
      },
      out,
    );
    return;
  }
  if (r.plan) {
    out.write(
      table(
        [r.tool, '', 'duckmig', 'down part'],
        r.plan.migrations.map((m) => [m.source, '→', m.file, m.down?.file ?? '']),
      ),
    );
    for (const s of skipped) out.write(`${s.file}: skipped (${s.reason})\n`);
    out.write(`converted ${r.plan.migrations.length} migration(s) from ${r.dir} into ${r.target}\n`);
  }
  if (r.db) {
    if (!r.history) stderr.write(`note: ${r.db} has no ${r.tool} version table; nothing to adopt\n`);
    else out.write(`adopted ${r.adopted.length} version(s) from ${r.history.table} in ${r.db}${r.adopted.length ? `: ${r.adopted.join(', ')}` : ''}\n`);
  }
  out.write(`next: duckmig validate --dir ${r.target}${r.db ? ` --db ${r.db}` : ''}, then duckmig run\n`);
}
