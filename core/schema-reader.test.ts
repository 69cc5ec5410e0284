// Specification: the schema browser's reader lists, from a real DuckDB, every table with its
// columns (type, nullability, default), its constraints (PRIMARY KEY, UNIQUE, CHECK, FOREIGN
// KEY), its indexes and its row count; views, macros and sequences; and leaves out the tables
// it is told to (duckmig's ledger).
import { afterEach, expect, it } from 'vitest';
import { Database } from './database.js';
import { readDatabaseSchema } from './schema.js';

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

it('reads tables, columns, constraints, indexes, views, macros, sequences and row counts', async () => {
  db = await Database.open(':memory:');
  await db.connection.run(`
    CREATE SEQUENCE author_ids START 100 INCREMENT 5;
    CREATE TABLE authors (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL UNIQUE, age INTEGER CHECK (age >= 0), tier VARCHAR DEFAULT 'basic');
    CREATE TABLE books (id INTEGER, author_id INTEGER REFERENCES authors(id), title VARCHAR);
    CREATE INDEX books_by_title ON books(title);
    CREATE UNIQUE INDEX books_by_author_title ON books(author_id, title);
    CREATE VIEW adult_authors AS SELECT * FROM authors WHERE age >= 18;
    CREATE MACRO twice(x) AS x * 2;
    CREATE MACRO books_of(a) AS TABLE SELECT * FROM books WHERE author_id = a;
    CREATE TABLE schema_migrations (version INTEGER);
    INSERT INTO authors VALUES (1, 'a@example.org', 30, DEFAULT), (2, 'b@example.org', 12, DEFAULT);
    INSERT INTO books VALUES (1, 1, 'One'), (2, 1, 'Two'), (3, 2, 'Three');
    DELETE FROM books WHERE id = 3;
  `);

  const schema = await readDatabaseSchema(db.connection, { exclude: ['schema_migrations'], rowCounts: true });

  expect(schema.tables.map((t) => t.name)).toEqual(['authors', 'books']);
  expect(schema.excluded).toEqual(['schema_migrations']);
  const [authors, books] = schema.tables;
  expect(authors!.columns).toEqual([
    { name: 'id', position: 1, type: 'INTEGER', nullable: false, default: null },
    { name: 'email', position: 2, type: 'VARCHAR', nullable: false, default: null },
    { name: 'age', position: 3, type: 'INTEGER', nullable: true, default: null },
    { name: 'tier', position: 4, type: 'VARCHAR', nullable: true, default: "'basic'" },
  ]);
  const keyed = authors!.constraints.filter((c) => c.kind !== 'NOT NULL').map(({ kind, columns, text }) => ({ kind, columns, text }));
  expect(keyed).toEqual(
    expect.arrayContaining([
      { kind: 'PRIMARY KEY', columns: ['id'], text: 'PRIMARY KEY(id)' },
      { kind: 'UNIQUE', columns: ['email'], text: 'UNIQUE(email)' },
      { kind: 'CHECK', columns: ['age'], text: 'CHECK((age >= 0))' },
    ]),
  );
  expect(keyed).toHaveLength(3);
  expect(books!.constraints).toEqual([
    {
      kind: 'FOREIGN KEY',
      name: expect.any(String),
      columns: ['author_id'],
      text: 'FOREIGN KEY (author_id) REFERENCES authors(id)',
      references: { table: 'authors', columns: ['id'] },
    },
  ]);
  expect(books!.indexes.map(({ name, unique, expressions }) => ({ name, unique, expressions }))).toEqual([
    { name: 'books_by_author_title', unique: true, expressions: '[author_id, title]' },
    { name: 'books_by_title', unique: false, expressions: '[title]' },
  ]);
  // two authors; three books inserted, one deleted: the exact count says two
  expect(authors!.rows).toEqual({ estimated: 2, exact: 2 });
  expect(books!.rows?.exact).toBe(2);
  expect(schema.views.map((v) => v.name)).toEqual(['adult_authors']);
  expect(schema.macros).toEqual([
    { name: 'books_of', table: true, parameters: ['a'], definition: expect.stringContaining('author_id = a') },
    { name: 'twice', table: false, parameters: ['x'], definition: '(x * 2)' },
  ]);
  expect(schema.sequences).toEqual([{ name: 'author_ids', start: '100', increment: '5' }]);
});

it('counts no rows unless asked', async () => {
  db = await Database.open(':memory:');
  await db.connection.run('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)');
  const schema = await readDatabaseSchema(db.connection);
  expect(schema.tables[0]!.rows).toBeNull();
});
