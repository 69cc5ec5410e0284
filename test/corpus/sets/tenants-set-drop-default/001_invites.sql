CREATE TABLE invites (email VARCHAR, role VARCHAR DEFAULT 'viewer', ttl_days INTEGER);
