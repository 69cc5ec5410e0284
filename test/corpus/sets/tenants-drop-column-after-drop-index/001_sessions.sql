CREATE TABLE sessions (session_id VARCHAR, tenant VARCHAR, user_agent VARCHAR);
CREATE INDEX sessions_agent ON sessions (user_agent);
INSERT INTO sessions VALUES ('s1', 'acme', 'curl');
