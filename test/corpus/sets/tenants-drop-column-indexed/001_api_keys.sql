CREATE TABLE api_keys (key_id INTEGER, tenant VARCHAR, prefix VARCHAR);
CREATE INDEX api_keys_prefix ON api_keys (prefix);
