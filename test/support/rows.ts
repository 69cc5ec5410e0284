// DuckDB result rows as plain JSON values for assertions. BIGINT values (migration
// versions are BIGINT, and so is count(*)) come back as numbers when JSON numbers carry
// them exactly, as the API and the CLI report them; everything else as DuckDB's JSON form.
import { DuckDBTypeId, type DuckDBResultReader } from '@duckdb/node-api';

export function jsonRows(reader: DuckDBResultReader): Record<string, unknown>[] {
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  const names = reader.columnNames();
  const bigint = reader.columnTypes().flatMap((t, i) => (t.typeId === DuckDBTypeId.BIGINT ? [names[i]!] : []));
  if (bigint.length === 0) return rows;
  for (const row of rows) {
    for (const name of bigint) {
      const value = row[name];
      if (typeof value === 'string' && Number.isSafeInteger(Number(value))) row[name] = Number(value);
    }
  }
  return rows;
}
