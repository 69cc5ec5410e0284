-- 002 project context: projects gain structured context (JSON) and the path of an
-- uploaded context file. Legacy schema v2. Both columns are nullable; no data changes.
-- ADD COLUMN works on an indexed table in DuckDB (DROP/ALTER TYPE would not).
ALTER TABLE projects ADD COLUMN IF NOT EXISTS context JSON;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS context_file_path VARCHAR;
