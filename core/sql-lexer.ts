// The one SQL lexer. Statement splitting, lint and the admin UI's highlighter all read SQL
// through it, so they agree on where strings, quoted names, comments and statements end.
// Pure TypeScript without Node imports: the UI bundle imports it too. Not a parser:
// DuckDB's own parser decides what SQL is; this only finds the token boundaries.

export type SqlTokenKind =
  /** keyword or bare identifier */
  | 'word'
  /** "quoted identifier" */
  | 'identifier'
  /** '…', E'…' (backslash escapes), $$…$$ or $tag$…$tag$ */
  | 'string'
  | 'number'
  /** a run of operator characters: `||`, `<>`, `::`, `*` */
  | 'operator'
  /** one of ( ) , ; . [ ] { } */
  | 'punctuation'
  /** -- line comment (without its line feed) or a block comment, nested ones included */
  | 'comment'
  /** a run of white space */
  | 'space'
  /** any other single character ($ not opening a dollar quote, ?, a backslash, …) */
  | 'other';

export interface SqlToken {
  kind: SqlTokenKind;
  /** the token's text exactly as written: joined, a text's tokens (with trivia) give back the text */
  text: string;
  /** offset of the token's first character */
  offset: number;
  /** offset just after the token */
  end: number;
}

export interface SqlLexOptions {
  /** also yield comments and white space (default: code tokens only) */
  trivia?: boolean;
  /** offset to start at (default 0) */
  from?: number;
  /**
   * End a line comment at a lone carriage return too, as DuckDB's parser does. Off by
   * default: displayed text breaks lines at line feeds only, and the display split follows it.
   */
  carriageReturnEndsComment?: boolean;
}

const PUNCTUATION = new Set(['(', ')', ',', ';', '.', '[', ']', '{', '}']);
const OPERATOR = new Set(['-', '+', '*', '/', '<', '>', '=', '!', '|', '%', '^', '~', '&', ':', '@', '#']);

/** White space, including the Unicode spaces DuckDB's parser strips outside literals. */
export const isSqlSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff;
const isDigit = (code: number) => code >= 48 && code <= 57;
const isLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isWordStart = (code: number) => isLetter(code) || (code >= 0x80 && !isSqlSpace(code));
const isTagPart = (code: number) => isWordStart(code) || isDigit(code);
const isWordPart = (code: number) => isTagPart(code) || code === 36; // $

/** Index just after the quoted run whose opening quote is at `i - 1`; the text's end when unterminated. */
function quotedEnd(text: string, i: number, quote: string, backslashEscapes: boolean): number {
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') i += 2;
    else if (ch !== quote) i++;
    else if (text[i + 1] === quote) i += 2;
    else return i + 1;
  }
  return text.length;
}

/** Index just after the block comment at `i`: block comments nest, as in DuckDB's grammar. */
function blockCommentEnd(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      i += 2;
      if (--depth === 0) return i;
    } else i++;
  }
  return text.length;
}

/** The dollar-quote opener ($$ or $tag$) at `i`, or undefined. */
function dollarTag(text: string, i: number): string | undefined {
  let j = i + 1;
  if (j < text.length && isWordStart(text.charCodeAt(j))) {
    while (j < text.length && isTagPart(text.charCodeAt(j))) j++;
  }
  return text[j] === '$' ? text.slice(i, j + 1) : undefined;
}

function numberEnd(text: string, i: number): number {
  const digits = (j: number) => {
    while (j < text.length && (isDigit(text.charCodeAt(j)) || text[j] === '_')) j++;
    return j;
  };
  if (text[i] === '0' && /[xX]/.test(text[i + 1] ?? '') && /[0-9A-Fa-f]/.test(text[i + 2] ?? '')) {
    let j = i + 2;
    while (j < text.length && /[0-9A-Fa-f_]/.test(text[j]!)) j++;
    return j;
  }
  let j = digits(i);
  if (text[j] === '.') j = digits(j + 1);
  if (/[eE]/.test(text[j] ?? '')) {
    const sign = text[j + 1] === '+' || text[j + 1] === '-' ? 1 : 0;
    if (isDigit(text.charCodeAt(j + 1 + sign))) j = digits(j + 1 + sign);
  }
  return j;
}

/** Index just after the token starting at `i`, and its kind. */
function scan(text: string, i: number, crEndsComment: boolean): [SqlTokenKind, number] {
  const ch = text[i]!;
  const code = text.charCodeAt(i);
  const next = text[i + 1];
  if (ch === '-' && next === '-') {
    let j = i + 2;
    while (j < text.length && text[j] !== '\n' && !(crEndsComment && text[j] === '\r')) j++;
    return ['comment', j];
  }
  if (ch === '/' && next === '*') return ['comment', blockCommentEnd(text, i)];
  if (isSqlSpace(code)) {
    let j = i + 1;
    while (j < text.length && isSqlSpace(text.charCodeAt(j))) j++;
    return ['space', j];
  }
  if (ch === "'") return ['string', quotedEnd(text, i + 1, "'", false)];
  if ((ch === 'E' || ch === 'e') && next === "'") return ['string', quotedEnd(text, i + 2, "'", true)];
  if (ch === '"') return ['identifier', quotedEnd(text, i + 1, '"', false)];
  if (ch === '$') {
    const tag = dollarTag(text, i);
    if (tag) {
      const close = text.indexOf(tag, i + tag.length);
      return ['string', close === -1 ? text.length : close + tag.length];
    }
    return ['other', i + 1];
  }
  if (isWordStart(code)) {
    let j = i + 1;
    while (j < text.length && isWordPart(text.charCodeAt(j))) j++;
    return ['word', j];
  }
  if (isDigit(code) || (ch === '.' && isDigit(text.charCodeAt(i + 1)))) return ['number', numberEnd(text, i)];
  if (PUNCTUATION.has(ch)) return ['punctuation', i + 1];
  if (OPERATOR.has(ch)) {
    // an operator ends where a comment starts: `1+--x` is `1`, `+`, a comment
    let j = i + 1;
    while (j < text.length && OPERATOR.has(text[j]!) && !text.startsWith('--', j) && !text.startsWith('/*', j)) j++;
    return ['operator', j];
  }
  return ['other', i + 1];
}

/** The tokens of SQL text, in order; comments and white space only with `trivia`. */
export function* sqlTokens(text: string, options: SqlLexOptions = {}): Generator<SqlToken> {
  const crEndsComment = options.carriageReturnEndsComment ?? false;
  let i = options.from ?? 0;
  while (i < text.length) {
    const [kind, end] = scan(text, i, crEndsComment);
    if (options.trivia || (kind !== 'comment' && kind !== 'space')) yield { kind, text: text.slice(i, end), offset: i, end };
    i = end;
  }
}

/** A quoted identifier's name: quotes removed, doubled quotes undone. */
export function identifierName(token: SqlToken): string {
  const inner = token.text.slice(1, token.text.length > 1 && token.text.endsWith('"') ? -1 : undefined);
  return inner.replace(/""/g, '"');
}
