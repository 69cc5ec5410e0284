CREATE TABLE tenant_users (tenant VARCHAR, email VARCHAR, external_id VARCHAR UNIQUE, UNIQUE (tenant, email));
INSERT INTO tenant_users VALUES ('acme', 'a@acme.test', NULL), ('acme', 'b@acme.test', NULL), ('globex', 'a@acme.test', 'g-1');
