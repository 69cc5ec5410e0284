// The CLI's exit codes, one meaning each, so deploy scripts can branch on them.
export const EXIT = {
  ok: 0,
  /** a migration or a validation failed (or a remote run failed / was cancelled) */
  failed: 1,
  /** the command line was wrong */
  usage: 2,
  /** the database is locked or unreadable, or the API cannot be reached / refused the token */
  unavailable: 3,
  /** the run request was rejected, withdrawn, or left without a decision until it expired (approvals) */
  rejected: 4,
  /** a fleet run halted: a canary failed, or a wave's failures passed the halt rule */
  halted: 5,
  /** a fleet run was cancelled */
  cancelled: 6,
} as const;

/** Thrown for command-line mistakes; main prints the message and the usage hint, exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
