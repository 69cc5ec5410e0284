ALTER TABLE workspaces ADD PRIMARY KEY (workspace_id);
ALTER TABLE workspaces ADD COLUMN archived BOOLEAN DEFAULT false;
ALTER TABLE workspaces ALTER COLUMN title SET DEFAULT 'Untitled';
