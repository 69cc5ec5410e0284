// `duckmig validate`: checks migration files (names, numbering, UTF-8, DuckDB's parser)
// and, with --db, the history too (changed or missing applied files, out-of-order). Without
// --db nothing is opened but an in-memory DuckDB, so authors' CI can run it anywhere.
import { commonOptions, migrationsDir, parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { printJson, renderProblems, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig validate [--dir PATH] [--db PATH] [--json]';

export async function validate(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, commonOptions);
  const dir = migrationsDir(values.dir, ctx.env);
  const db = values.db ?? ':memory:';
  const { problems, files } = await withLocalRunner({ db, dir, logger: ctx.logger, env: ctx.env }, async (runner) => {
    const report = await runner.status();
    return { problems: report.problems, files: report.pending.length + report.applied.length };
  });
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (values.json) {
    printJson({ ok: errors === 0, dir, database: values.db ?? null, files, errors, warnings, problems }, out);
  } else {
    out.write(renderProblems(problems));
    out.write(`${errors === 0 ? 'ok' : 'invalid'}: ${files} migration file(s) in ${dir}${values.db ? ` checked against ${values.db}` : ''}; ${errors} error(s), ${warnings} warning(s)\n`);
  }
  return errors === 0 ? EXIT.ok : EXIT.failed;
}
