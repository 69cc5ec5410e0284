ALTER TABLE legacy_tenants ADD COLUMN note VARCHAR;
