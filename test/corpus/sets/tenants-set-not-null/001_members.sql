CREATE TABLE members (member_id INTEGER, tenant VARCHAR, role VARCHAR NOT NULL);
INSERT INTO members VALUES (1, 'acme', 'owner'), (2, NULL, 'viewer');
