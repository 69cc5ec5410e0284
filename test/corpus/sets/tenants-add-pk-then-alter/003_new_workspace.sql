INSERT INTO workspaces (workspace_id, tenant_slug) VALUES (3, 'globex');
