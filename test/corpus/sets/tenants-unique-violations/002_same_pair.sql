INSERT INTO tenant_users VALUES ('acme', 'a@acme.test', 'x-9');
