// Specification: what people see of a migration is bounded whatever its size, and the
// pending SQL reads as the file does: comments stay with the statement below them and
// the pieces put together give back the file.
import { describe, expect, it } from 'vitest';
import { STATEMENT_PREVIEW_BYTES } from '../contract/index.js';
import { excerpt, fileChunks } from './preview.js';
import { splitStatements } from './statement-text.js';

describe('previews', () => {
  it('an excerpt keeps at most the preview size, never splits a character, and reports the real size', () => {
    const text = `${'é'.repeat(STATEMENT_PREVIEW_BYTES)}`;
    const cut = excerpt(text);
    expect(cut.truncated).toBe(true);
    expect(cut.sizeBytes).toBe(2 * STATEMENT_PREVIEW_BYTES);
    expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(STATEMENT_PREVIEW_BYTES);
    expect(cut.text).toBe('é'.repeat(STATEMENT_PREVIEW_BYTES / 2));
    expect(excerpt('SELECT 1')).toEqual({ text: 'SELECT 1', sizeBytes: 8, truncated: false });
  });

  it('file pieces: one per statement, comments with the statement below, lines of the file, the whole file back', () => {
    const sql = '-- header <b>comment</b>\nCREATE TABLE a (id INTEGER);\n\n-- about b\nCREATE TABLE b (\n  id INTEGER\n); -- trailing\nINSERT INTO a VALUES (1);';
    const chunks = fileChunks({ sql, statements: splitStatements(sql) });
    expect(chunks.map((c) => c.line)).toEqual([1, 3, 8]);
    expect(chunks[0]!.sql).toBe('-- header <b>comment</b>\nCREATE TABLE a (id INTEGER);');
    expect(chunks[1]!.sql).toBe('\n-- about b\nCREATE TABLE b (\n  id INTEGER\n); -- trailing');
    expect(chunks.map((c) => c.sql).join('\n')).toBe(sql);
  });
});
