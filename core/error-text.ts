// The text of an error as duckmig stores and shows it (ledger, run result, job failure,
// logs): at most MAX_ERROR_CHARS characters, and never a configured secret. Migrations
// cannot read files in the first place (sandbox.ts); this is the second line of defence.
export const MAX_ERROR_CHARS = 2048;

const REDACTED = '[redacted]';

/** Secrets shorter than this are not looked for: they would redact ordinary words. */
const MIN_SECRET_CHARS = 8;

/** Replaces every occurrence of each secret with [redacted]. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_CHARS) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The first MAX_ERROR_CHARS characters, saying how much was left out. */
export function errorExcerpt(text: string, max = MAX_ERROR_CHARS): string {
  if (text.length <= max) return text;
  const note = ` … (${text.length - max} more characters not shown)`;
  return `${text.slice(0, Math.max(0, max - note.length))}${note}`;
}

/** What may be stored and shown of an error's message. */
export function errorText(message: string, secrets: readonly string[] = []): string {
  // redacted before it is cut, so a secret across the cut cannot leave a readable part
  return errorExcerpt(redact(message, secrets));
}
