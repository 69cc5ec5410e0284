ALTER TABLE team_members ALTER COLUMN tenant SET NOT NULL;
ALTER TABLE team_members ALTER COLUMN role DROP NOT NULL;
INSERT INTO team_members VALUES (3, 'acme', NULL);
