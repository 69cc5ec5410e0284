// Text for a terminal: whatever comes from migration files or the database (file names,
// messages, SQL, reasons) is shown with its control characters escaped, so it cannot
// recolour the terminal, move the cursor, set the window title or reorder text (bidi
// overrides). Newlines and tabs stay; everything else prints as it is.

// C0 controls but \t and \n, DEL, C1 controls, and the Unicode bidi embedding/override/isolate marks
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\r') return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, escape);
}
