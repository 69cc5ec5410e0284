CREATE TABLE domains (domain VARCHAR, tenant_id INTEGER);
INSERT INTO domains VALUES ('acme.test', 1), ('orphan.test', NULL);
