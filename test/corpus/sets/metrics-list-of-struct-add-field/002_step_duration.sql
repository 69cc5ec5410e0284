ALTER TABLE pipeline_runs ADD COLUMN steps.element.duration_ms INTEGER;
