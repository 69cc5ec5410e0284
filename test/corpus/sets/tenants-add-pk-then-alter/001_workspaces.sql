CREATE TABLE workspaces (workspace_id BIGINT, tenant_slug VARCHAR, title VARCHAR);
INSERT INTO workspaces VALUES (1, 'acme', 'Main'), (2, 'acme', 'Lab');
