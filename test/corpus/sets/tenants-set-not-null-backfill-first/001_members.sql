CREATE TABLE team_members (member_id INTEGER, tenant VARCHAR, role VARCHAR NOT NULL);
INSERT INTO team_members VALUES (1, 'acme', 'owner'), (2, NULL, 'viewer');
