// DuckDB TIMESTAMP values (naive, UTC by convention here) to and from ISO-8601 strings.

/** ISO-8601 UTC string → DuckDB TIMESTAMP literal text (naive UTC). */
export function toDbTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '');
}

/** DuckDB TIMESTAMP rendered as VARCHAR → ISO-8601 UTC string. */
export function fromDbTimestamp(value: unknown): string {
  const text = String(value);
  const [date, time = '00:00:00'] = text.split(' ');
  return new Date(`${date}T${time}Z`).toISOString();
}
