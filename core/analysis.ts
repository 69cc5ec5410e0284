// The runner's reading of where things stand: the migration files (scanned, parsed by
// DuckDB, linted), the ledger and the legacy schema_version rows, what is applied and
// pending, and every problem that would stop a run (errors) or deserves a look (warnings).
// Reads only: a database without ledger tables is left without them.
import type { LedgerEntry, LegacyInfo, ValidationProblem } from '../contract/index.js';
import { effectiveApplied, ForeignLedgerError, type Ledger, type LegacyRow } from './ledger.js';
import { lintMigrations } from './lint.js';
import { parseCheck } from './parse-check.js';
import type { MigrationFile, MigrationSource } from './source.js';

export interface Analysis {
  migrations: MigrationFile[];
  problems: ValidationProblem[];
  ledger: LedgerEntry[];
  applied: LedgerEntry[];
  legacy: LegacyInfo | null;
  /** legacy versions present in schema_version but not yet recorded in the ledger */
  unadopted: LegacyRow[];
  pending: MigrationFile[];
  currentVersion: number;
}

export interface AnalyzeOptions {
  /** DuckDB parser outcomes by checksum, kept by a long-lived runner */
  parsed: Parameters<typeof parseCheck>[2];
  /** lint outcomes by input (schema + pending files), kept by a long-lived runner */
  linted?: Map<string, ValidationProblem[]>;
  allowOutOfOrder?: boolean;
  /** run lint's experiment (default true); its findings are warnings only */
  lint?: boolean;
}

export async function analyze(ledger: Ledger, source: MigrationSource, options: AnalyzeOptions): Promise<Analysis> {
  const { connection } = ledger;
  const scan = await source.scan();
  const problems = [...scan.problems, ...(await parseCheck(connection, scan.migrations, options.parsed))];
  const entries = await ledger.read().catch((err: unknown) => {
    if (!(err instanceof ForeignLedgerError)) throw err;
    problems.push({ code: 'foreign-ledger', severity: 'error', message: err.message, hint: err.hint });
    return [];
  });
  const recorded = effectiveApplied(entries);
  const legacyRows = await ledger.readLegacyVersions();
  const recordedVersions = new Set(recorded.map((e) => e.version));
  const files = new Map(scan.migrations.map((m) => [m.version, m]));

  const unadopted = (legacyRows ?? []).filter((r) => !recordedVersions.has(r.version));
  const virtual: LedgerEntry[] = unadopted.map((r) => {
    const file = files.get(r.version);
    return {
      version: r.version,
      name: file?.name ?? 'unknown',
      checksum: file?.checksum ?? '',
      status: 'adopted',
      appliedAt: r.appliedAt ?? new Date(0).toISOString(),
      durationMs: null,
      appliedBy: 'legacy',
      runId: null,
      jobId: null,
      error: null,
    };
  });
  const applied = [...recorded, ...virtual].sort((x, y) => x.version - y.version);
  // adopted from schema_version (versions `duckmig import` adopted from another tool are not legacy)
  const adopted = recorded.filter((e) => e.status === 'adopted' && e.appliedBy === 'legacy').map((e) => e.version);
  // a database duckmig created also has schema_version (kept for old builds): it is
  // legacy only when that table carried versions duckmig did not apply itself
  const legacy: LegacyInfo | null =
    legacyRows && (adopted.length > 0 || unadopted.length > 0) ? { versions: legacyRows.map((r) => r.version), adopted } : null;

  const appliedVersions = new Set(applied.map((e) => e.version));
  const currentVersion = applied.reduce((max, e) => Math.max(max, e.version), 0);
  for (const e of applied) {
    const file = files.get(e.version);
    if (!file) {
      problems.push({
        code: 'missing-file',
        severity: 'error',
        version: e.version,
        message: `version ${e.version} (${e.name}) is applied but its file is missing from ${source.location}`,
        hint: 'restore the file from version control; applied migrations must stay on disk',
      });
    } else if (e.checksum && file.checksum !== e.checksum) {
      problems.push({
        code: 'checksum-mismatch',
        severity: 'error',
        file: file.file,
        version: e.version,
        message: `${file.file} was changed after it was applied (checksum ${e.checksum.slice(0, 12)}… recorded, ${file.checksum.slice(0, 12)}… on disk)`,
        hint: 'revert the edit (git checkout the file) and put the change in a new migration',
      });
    }
  }
  const pending = scan.migrations.filter((m) => !appliedVersions.has(m.version));
  // a file applied before duckmig refused connection-state statements never runs again:
  // what it did is history, worth a look but no reason to stop every later run
  for (const [i, p] of problems.entries()) {
    if (p.code === 'connection-state' && p.version !== undefined && appliedVersions.has(p.version)) problems[i] = { ...p, severity: 'warning' };
  }
  if (!options.allowOutOfOrder) {
    for (const m of pending) {
      if (m.version < currentVersion) {
        problems.push({
          code: 'out-of-order',
          severity: 'error',
          file: m.file,
          version: m.version,
          message: `${m.file} is numbered below version ${currentVersion}, which is already applied`,
          hint: `renumber it above ${currentVersion} (duckmig new <name> picks the next number), or allow out-of-order migrations explicitly`,
        });
      }
    }
  }
  // DuckDB-aware warnings: pending files tried on a copy of the live schema once anything is
  // applied, otherwise every file in order from an empty database
  const history = applied.length > 0;
  if (options.lint !== false) problems.push(...(await lintMigrations(history ? pending : scan.migrations, { live: history ? connection : undefined, cache: options.linted })));
  return { migrations: scan.migrations, problems, ledger: entries, applied, legacy, unadopted, pending, currentVersion };
}
