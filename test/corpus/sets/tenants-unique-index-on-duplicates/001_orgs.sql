CREATE TABLE orgs (org_id INTEGER, slug VARCHAR, plan VARCHAR);
INSERT INTO orgs VALUES (1, 'Acme', 'team'), (2, 'globex', 'team');
CREATE UNIQUE INDEX orgs_slug_ci ON orgs (lower(slug));
