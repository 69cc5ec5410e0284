CREATE TABLE audit_marker (note VARCHAR);
