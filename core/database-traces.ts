// Traces that a database existed at a path: what a restore leaves beside it, its WAL, and
// restore points taken of it. A database file that is missing while such traces remain is an
// alarm (an interrupted swap, a deleted or unmounted file), never a place for a new empty one.
import { access } from 'node:fs/promises';
import { RestorePoints } from './restore-points.js';
import { swapFiles } from './restore-journal.js';

const exists = (path: string) => access(path).then(() => true, () => false);

/** Human-readable traces, empty when nothing says a database was ever there. */
export async function databaseTraces(path: string, restoreDir?: string): Promise<string[]> {
  const files = swapFiles(path);
  const traces: string[] = [];
  const beside: [string, string][] = [
    [files.aside, 'the previous database of an interrupted restore'],
    [files.staging, 'the staged copy of an interrupted restore'],
    [files.journal, 'the journal of an interrupted restore'],
    [files.wal, 'its write-ahead log'],
  ];
  for (const [file, what] of beside) if (await exists(file)) traces.push(`${file} (${what})`);
  if (restoreDir) {
    const points = await new RestorePoints({ dir: restoreDir }).list(path);
    if (points.length > 0) traces.push(`${points.length} restore point(s) of it in ${restoreDir}, the newest ${points[0]!.id} (${points[0]!.path})`);
  }
  return traces;
}
