ALTER TABLE pipeline_runs ADD COLUMN env.value.secret BOOLEAN;
