// `duckmig dry-run [--rehearse]`: the plan (files, statements, SQL) without touching the
// database; with --rehearse, executes the pending batch on a copy of the database exactly as
// `run` would (one committed transaction per file), discards the copy, and reports
// per-statement timing, the first error (COMMIT-time failures included) and the schema diff.
import { allowPathOption, commonOptions, dbPath, migrationsDir, parse, parseTarget } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes } from '../../core/source.js';
import { withLocalRunner } from '../local.js';
import { localProgress } from '../local-progress.js';
import { ms, printJson, renderProblems, renderRunSummary, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig dry-run [--rehearse] [--db PATH] [--dir PATH] [--target VERSION] [--allow-path PATH]… [--sql] [--json]';

export const options = {
  ...commonOptions,
  ...allowPathOption,
  target: { type: 'string' },
  rehearse: { type: 'boolean', default: false },
  sql: { type: 'boolean', default: false },
} as const;

export async function dryRun(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  const target = parseTarget(values.target);
  const progress = localProgress(out);
  const result = await withLocalRunner({ db: dbPath(values.db, ctx.env), dir: migrationsDir(values.dir, ctx.env), logger: ctx.logger, env: ctx.env, allowPaths: values['allow-path'] }, (runner) => {
    if (!values.json && values.rehearse) runner.events.onEvent(progress.onEvent, { statements: false });
    return runner.dryRun({ target, rehearse: values.rehearse });
  }).finally(() => progress.done());
  if (values.json) {
    printJson(result, out);
  } else {
    out.write(renderProblems(result.problems));
    for (const m of result.plan ?? []) {
      out.write(`${m.file}  (${m.statementCount} statements, ${formatBytes(m.sizeBytes)}, sha256 ${m.checksum.slice(0, 12)}…)\n`);
      const timings = new Map(result.migrations.find((r) => r.version === m.version)?.statementTimings?.map((t) => [t.index, t.durationMs]));
      for (const s of m.statements) {
        const first = values.sql ? s.sql : s.sql.split('\n')[0]!;
        const cut = s.truncated ? ` … (${formatBytes(s.sizeBytes ?? 0)} in all)` : '';
        out.write(`  ${String(s.index + 1).padStart(3)}. line ${String(s.line).padEnd(4)} ${first}${cut}${timings.has(s.index) ? `  [${ms(timings.get(s.index))}]` : ''}\n`);
      }
      if (m.statementsTruncated) out.write(`       … ${m.statementCount - m.statements.length} more statement(s)\n`);
    }
    if (result.mode === 'rehearse' || result.status !== 'success') out.write(`\n${renderRunSummary(result)}`);
    else {
      out.write(`\n${result.plan?.length ?? 0} migration(s) would be applied; nothing was changed. Use --rehearse to execute them on a copy of the database.\n`);
      if (result.planId) out.write(`plan ${result.planId}  (apply exactly this: duckmig run --plan ${result.planId})\n`);
    }
  }
  return result.status === 'success' || result.status === 'nothing-to-do' ? EXIT.ok : EXIT.failed;
}
