ALTER TABLE invites ALTER COLUMN ttl_days SET DEFAULT 7;
ALTER TABLE invites ALTER COLUMN role DROP DEFAULT;
INSERT INTO invites (email) VALUES ('new@acme.test');
