-- the expression index blocks ALTERs of the table: drop it, change the table, recreate it
DROP INDEX IF EXISTS app.assets_name_ci;
ALTER TABLE app.assets ADD COLUMN owner TEXT;
UPDATE app.assets SET owner = 'system' WHERE owner IS NULL;
CREATE UNIQUE INDEX assets_name_ci ON app.assets (lower(name));
