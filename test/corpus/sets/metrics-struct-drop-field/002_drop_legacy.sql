ALTER TABLE probes DROP COLUMN cfg.legacy;
