// Migrations that DuckDB 1.5.6 accepts statement by statement and then fails at COMMIT
// (core/commit-failures.test.ts proves each on DuckDB).

/** A struct column declared in upper case … */
export const STRUCT_TABLE = 'CREATE TABLE t (S STRUCT(i INTEGER, j INTEGER));\nINSERT INTO t VALUES (ROW(1, 1));\n';
/** … renamed through its lower-case name: an INTERNAL error at COMMIT that invalidates the instance. */
export const STRUCT_RENAME = '-- rename a field of the struct\nALTER TABLE t RENAME s.i TO v1;\n';
/** Duplicates inserted in the same transaction are found by ADD PRIMARY KEY only at COMMIT. */
export const DUPLICATE_KEYS = 'CREATE TABLE d (id INTEGER);\nINSERT INTO d VALUES (1), (1);\nALTER TABLE d ADD PRIMARY KEY (id);\n';
