// `duckmig status`: the database's version, applied and pending migrations, problems.
import { commonOptions, dbPath, migrationsDir, parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { ms, printJson, renderProblems, table, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig status [--db PATH] [--dir PATH] [--json]';

export async function status(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, commonOptions);
  const report = await withLocalRunner({ db: dbPath(values.db, ctx.env), dir: migrationsDir(values.dir, ctx.env), logger: ctx.logger, env: ctx.env }, (runner) => runner.status());
  const hasErrors = report.problems.some((p) => p.severity === 'error');
  if (values.json) {
    printJson(report, out);
    return hasErrors ? EXIT.failed : EXIT.ok;
  }
  out.write(`database   ${report.database.path} (${(report.database.sizeBytes / 1024).toFixed(0)} KiB, DuckDB ${report.database.duckdbVersion})\n`);
  out.write(`migrations ${report.migrationsDir}\n`);
  out.write(`version    ${report.currentVersion} of ${report.latestVersion}${report.pending.length ? `, ${report.pending.length} pending` : ', up to date'}\n`);
  if (report.legacy) {
    out.write(`legacy     schema_version rows {${report.legacy.versions.join(', ')}} from the old application; adopted: {${report.legacy.adopted.join(', ')}}\n`);
  }
  out.write('\n');
  if (report.applied.length) {
    out.write(table(['version', 'name', 'status', 'applied at', 'by', 'duration'], report.applied.map((e) => [String(e.version), e.name, e.status, e.appliedAt, e.appliedBy ?? '', ms(e.durationMs)])));
    out.write('\n');
  }
  if (report.pending.length) {
    out.write(table(['pending', 'name', 'statements', 'file'], report.pending.map((p) => [String(p.version), p.name, String(p.statementCount), p.file])));
    out.write('\n');
  }
  // a pending migration whose last attempt failed says so, with DuckDB's first line
  const pendingVersions = new Set(report.pending.map((p) => p.version));
  const lastAttempts = new Map(report.ledger.filter((e) => pendingVersions.has(e.version)).map((e) => [e.version, e]));
  const failedLast = [...lastAttempts.values()].filter((e) => e.status === 'failed' || e.status === 'cancelled');
  for (const e of failedLast) out.write(`last attempt of version ${e.version} (${e.name}) ${e.status} at ${e.appliedAt}: ${(e.error ?? '').split('\n')[0]}\n`);
  if (failedLast.length) out.write('\n');
  out.write(renderProblems(report.problems));
  return hasErrors ? EXIT.failed : EXIT.ok;
}
