ALTER TABLE domains ALTER tenant_id SET NOT NULL;
