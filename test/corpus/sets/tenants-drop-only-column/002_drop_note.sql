ALTER TABLE audit_marker DROP COLUMN note;
