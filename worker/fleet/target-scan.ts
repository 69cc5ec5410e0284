// A scan of the shard's targets reads each file's ledger only: the applied versions through
// one shared read-only reader (core LedgerReader: an ATTACH per file, no DuckDB instance
// per file, nothing written), the pending count against the migration files scanned once
// for the whole scan. Nothing is parsed, linted or checked for drift here: a target job does
// all of that when it opens the file. A file the fast read cannot take (a WAL DuckDB cannot
// replay as is, a restore's journal, a corrupt file) is opened the full way, which
// recovers what can be recovered and names what cannot (locked, unreadable, missing).
import { existsSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { TargetState } from '../../contract/index.js';
import { DatabaseLockedError, errorExcerpt, LedgerReader } from '../../core/index.js';
import type { MigrationSource } from '../../core/source.js';
import { openTarget, TargetOpenError, type TargetSettings } from './target-file.js';
import { stateOfLedger, stateOfOpen, stateOfUnopened, type StateContext } from './target-state.js';
import type { Target } from './targets.js';

export interface TargetScanner {
  /** reads one target's state; never throws for a file that cannot be read (its state says why) */
  state(target: Target, ctx: StateContext): Promise<TargetState>;
  close(): void;
}

/** A scanner for one scan: the migration files are read once, the reader is shared by every target. */
export async function openScanner(settings: TargetSettings, source: MigrationSource): Promise<TargetScanner> {
  const versions = (await source.scan()).migrations.map((m) => m.version);
  const reader = await LedgerReader.open(settings.threads);

  const fullOpen = async (target: Target, ctx: StateContext): Promise<TargetState> => {
    let opened;
    try {
      opened = await openTarget(target.file, settings, source);
    } catch (err) {
      if (err instanceof TargetOpenError) return stateOfUnopened(target, ctx, err);
      throw err;
    }
    try {
      return await stateOfOpen(target, opened, ctx);
    } finally {
      await opened.db.close();
    }
  };

  return {
    async state(target, ctx) {
      // timers and Redis replies (the lease's renewals) get their turn between two files
      await yieldToEvents();
      if (!existsSync(target.file)) return stateOfUnopened(target, ctx, new TargetOpenError('target-missing', `${target.file} does not exist (deleted or renamed?)`));
      try {
        const { applied } = await reader.read(target.file);
        const done = new Set(applied);
        return stateOfLedger(target, ctx, { version: applied.at(-1) ?? 0, pending: versions.filter((v) => !done.has(v)).length });
      } catch (err) {
        if (err instanceof DatabaseLockedError) return stateOfUnopened(target, ctx, new TargetOpenError('target-locked', errorExcerpt(err.message)));
        return fullOpen(target, ctx);
      }
    },
    close: () => reader.close(),
  };
}
