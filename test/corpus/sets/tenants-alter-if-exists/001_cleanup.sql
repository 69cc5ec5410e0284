ALTER TABLE IF EXISTS legacy_tenants RENAME TO old_tenants;
ALTER TABLE IF EXISTS legacy_tenants ADD COLUMN note VARCHAR;
DROP TABLE IF EXISTS legacy_tenants;
DROP VIEW IF EXISTS legacy_tenant_view;
DROP INDEX IF EXISTS legacy_tenant_idx;
CREATE TABLE tenant_events (tenant VARCHAR, kind VARCHAR);
