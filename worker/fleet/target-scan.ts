// A scan of the shard's targets reads each file's ledger, and its catalog when drift needs
// it: through one shared read-only reader (core LedgerReader: an ATTACH per file, no DuckDB
// instance per file, nothing written), the pending count against the migration files
// scanned once for the whole scan, and the drift against the worker's expected schema for
// the file's applied list (target-drift.ts: one replay per distinct list per worker). The
// catalog is read only for a file that changed since its last check (a stat tells): an
// unchanged file keeps its finding. A scan without drift (the owner's first, which its
// consumer waits for) reads no catalog, and each target keeps the drift last known. Nothing
// is parsed, linted or written here: a target job does that when it opens the file. A file
// the fast read cannot take (a WAL DuckDB cannot replay as is, a restore's journal, a
// corrupt file) is opened the full way, which recovers what can be recovered and names what
// cannot (locked, unreadable, missing).
import { existsSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { AppliedFile, TargetState } from '../../contract/index.js';
import { DatabaseLockedError, errorExcerpt, LedgerReader, readDriftSchema, type LedgerGlance } from '../../core/index.js';
import type { SourceScan } from '../../core/source.js';
import { openTarget, TargetOpenError, type TargetSettings } from './target-file.js';
import { fileSignature, findingOf, type DriftFinding, type ExpectedSchemas, type MigrationFiles, type DriftFindings } from './target-drift.js';
import { stateOfLedger, stateOfOpen, stateOfUnopened, type StateContext } from './target-state.js';
import type { Target } from './targets.js';

export interface TargetScanner {
  /** reads one target's state; never throws for a file that cannot be read (its state says why) */
  state(target: Target, ctx: StateContext): Promise<TargetState>;
  /** how many files' catalogs this scan read for drift so far */
  readonly catalogsRead: number;
  close(): void;
}

/** The worker's drift checks a scan uses: the expected schemas and the last findings, both kept across scans. */
export interface ScanDrift {
  expected: ExpectedSchemas;
  findings: DriftFindings;
}

/** The applied list as the runner counts it: a version only schema_version holds takes its file's checksum. */
function appliedFiles(glance: LedgerGlance, scanned: SourceScan): AppliedFile[] {
  const checksums = new Map(scanned.migrations.map((m) => [m.version, m.checksum]));
  return glance.files.map(({ version, checksum }) => ({ version, checksum: checksum ?? checksums.get(version) ?? '' }));
}

/**
 * A scanner for one scan: the migration files are read once, the reader is shared by every
 * target. Without `drift`, ledgers only (drift unknown: each state keeps what was known).
 */
export async function openScanner(settings: TargetSettings, files: MigrationFiles, drift: ScanDrift | null): Promise<TargetScanner> {
  const scanned = await files.source.scan();
  const versions = scanned.migrations.map((m) => m.version);
  const reader = await LedgerReader.open(settings.threads);
  let catalogsRead = 0;

  const fullOpen = async (target: Target, ctx: StateContext): Promise<TargetState> => {
    let opened;
    try {
      opened = await openTarget(target.file, settings, files.source);
    } catch (err) {
      if (err instanceof TargetOpenError) return stateOfUnopened(target, ctx, err);
      throw err;
    }
    try {
      let finding: DriftFinding;
      if (drift) {
        catalogsRead++;
        try {
          finding = findingOf(await drift.expected.compare(await readDriftSchema(opened.db.connection), await opened.runner.getAppliedFiles(), files));
        } catch (err) {
          settings.logger.warn({ err, event: 'fleet:drift-check-failed', target: target.id }, `target ${target.id}: drift not checked: ${(err as Error)?.message}`);
        }
      }
      return await stateOfOpen(target, opened, ctx, undefined, finding);
    } finally {
      await opened.db.close();
    }
  };

  return {
    async state(target, ctx) {
      // timers and Redis replies (the lease's renewals) get their turn between two files
      await yieldToEvents();
      if (!existsSync(target.file)) return stateOfUnopened(target, ctx, new TargetOpenError('target-missing', `${target.file} does not exist (deleted or renamed?)`));
      // taken before the read: a change made after it is seen at the next scan
      const signature = fileSignature(target.file);
      const known = drift ? drift.findings.known(target.id, signature, files.migrationsId) : { finding: undefined };
      let glance: LedgerGlance;
      try {
        glance = await reader.read(target.file, { liveSchema: known === undefined });
      } catch (err) {
        if (err instanceof DatabaseLockedError) return stateOfUnopened(target, ctx, new TargetOpenError('target-locked', errorExcerpt(err.message)));
        return fullOpen(target, ctx);
      }
      let finding: DriftFinding = known?.finding;
      // another tool's ledger: nothing duckmig applied to compare with
      if (drift && !known && glance.live && !glance.foreign) {
        catalogsRead++;
        try {
          finding = findingOf(await drift.expected.compare(glance.live, appliedFiles(glance, scanned), files));
          drift.findings.remember(target.id, signature, finding, files.migrationsId);
        } catch (err) {
          // not a replay refused by the files (that is a finding): tried again at the next scan
          settings.logger.warn({ err, event: 'fleet:drift-check-failed', target: target.id }, `target ${target.id}: drift not checked: ${(err as Error)?.message}`);
        }
      }
      const done = new Set(glance.applied);
      return stateOfLedger(target, ctx, { version: glance.applied.at(-1) ?? 0, pending: versions.filter((v) => !done.has(v)).length, drift: finding });
    },
    get catalogsRead() {
      return catalogsRead;
    },
    close: () => reader.close(),
  };
}
