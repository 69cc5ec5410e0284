// Schema drift: how the live database differs from the schema its applied migrations
// produce when replayed on an empty database (duckmig's ledger and imported tools' history
// tables aside). The worker checks it and publishes the report in its snapshot; a run on
// a drifted database is refused (errorCode 'drifted') unless asked to go ahead.
import { z } from 'zod';
import { SchemaObjectKind, type SchemaChange } from './results.js';

export const DriftDifference = z.object({
  kind: SchemaObjectKind,
  /** extra: in the live database only; missing: the migrations create it but it is not there; changed: both, defined differently */
  change: z.enum(['extra', 'missing', 'changed']),
  /** table name, table.column, index, view, sequence or macro name */
  name: z.string(),
  /** the definition the applied migrations produce (missing, changed) */
  expected: z.string().optional(),
  /** the definition in the live database (extra, changed) */
  actual: z.string().optional(),
});
export type DriftDifference = z.infer<typeof DriftDifference>;

export const DriftReport = z.object({
  checkedAt: z.string(),
  /** the database's version when checked (the applied files replayed) */
  version: z.number().int(),
  drifted: z.boolean(),
  differences: z.array(DriftDifference),
  /** why the check could not be made (an applied file gone or changed): drifted is then false */
  error: z.string().nullable(),
  /** how long the check took (replay and catalog reads) */
  durationMs: z.number(),
});
export type DriftReport = z.infer<typeof DriftReport>;

/** How many differences a refusal names before "and N more". */
const NAMED_IN_REFUSAL = 3;

/**
 * The differences, as the schema diff names them (`expected` → `actual`): what the live
 * database added to, dropped from or changed in the migrations' schema.
 */
export function driftDifferences(changes: readonly SchemaChange[]): DriftDifference[] {
  return changes.map(({ kind, change, name, before, after }) => ({
    kind,
    name,
    change: change === 'added' ? 'extra' : change === 'dropped' ? 'missing' : 'changed',
    ...(before !== undefined && { expected: before }),
    ...(after !== undefined && { actual: after }),
  }));
}

/** One difference in words, e.g. `extra column projects.note`. */
export function describeDifference(d: DriftDifference): string {
  return `${d.change} ${d.kind} ${d.name}`;
}

/** The first differences in words, with how many more there are. */
export function describeDrift(differences: readonly DriftDifference[]): string {
  const named = differences.slice(0, NAMED_IN_REFUSAL).map(describeDifference).join(', ');
  const more = differences.length - NAMED_IN_REFUSAL;
  return more > 0 ? `${named} and ${more} more` : named;
}

/** Why a run on a drifted database was refused (the worker's and the API's words). */
export function driftRefusal(differences: readonly DriftDifference[]): string {
  return (
    `the database's schema drifted from what its applied migrations produce (${describeDrift(differences)}), nothing was applied; ` +
    'bring the schema back in line (or write a migration for the change), or run with allowDrift (--allow-drift) to apply anyway'
  );
}

/** GET …/admin/migrations/drift: the worker's last drift check (null until it made one). */
export const DriftResponse = z.object({ drift: DriftReport.nullable() });
export type DriftResponse = z.infer<typeof DriftResponse>;
