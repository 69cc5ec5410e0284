ALTER TABLE probes DROP COLUMN cfg.timeout_s;
