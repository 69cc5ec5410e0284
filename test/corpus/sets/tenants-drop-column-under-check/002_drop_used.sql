ALTER TABLE quotas DROP COLUMN used_gb;
