// `duckmig backup`: takes a restore point of the database (local mode), or lists that
// database's restore points (a restore dir may hold other databases' too).
import { restorePointsFrom, restoreSettings } from '../../config/restore-settings.js';
import { commonOptions, dbPath, migrationsDir, parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { withLocalRunner } from '../local.js';
import { printJson, table, type Out } from '../output.js';
import type { CommandContext } from './types.js';

export const usage = 'duckmig backup [--db PATH] [--reason TEXT] [--list] [--json]   (restore points live in $DUCKMIG_RESTORE_DIR, default restore-points/ beside the database)';

export const options = { ...commonOptions, list: { type: 'boolean', default: false }, reason: { type: 'string' } } as const;

export async function backup(argv: string[], ctx: CommandContext, out: Out): Promise<number> {
  const { values } = parse(argv, options);
  const points = restorePointsFrom(restoreSettings(dbPath(values.db, ctx.env), ctx.env));
  if (values.list) {
    const list = await points.list(dbPath(values.db, ctx.env));
    if (values.json) printJson(list, out);
    else if (list.length === 0) out.write(`no restore points in ${points.dir}\n`);
    else out.write(table(['id', 'created', 'version', 'size', 'reason'], list.map((p) => [p.id, p.createdAt, String(p.version), `${(p.sizeBytes / 1048576).toFixed(1)} MiB`, p.reason ?? ''])));
    return EXIT.ok;
  }
  const point = await withLocalRunner({ db: dbPath(values.db, ctx.env), dir: migrationsDir(values.dir, ctx.env), logger: ctx.logger, env: ctx.env }, async (runner, db) => {
    const version = (await runner.getAppliedMigrations()).reduce((v, e) => Math.max(v, e.version), 0);
    // an explicit backup is taken whatever the size threshold for automatic ones says
    return points.create(db.connection, db.path, { version, reason: values.reason ?? 'manual backup', ignoreSizeLimit: true });
  });
  if (values.json) printJson(point, out);
  else out.write(`restore point ${point!.id} (${(point!.sizeBytes / 1048576).toFixed(1)} MiB, version ${point!.version}, sha256 ${point!.checksum.slice(0, 12)}…)\n  ${point!.path}\n`);
  return EXIT.ok;
}
