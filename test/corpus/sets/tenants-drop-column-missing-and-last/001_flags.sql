CREATE TABLE feature_flags (flag VARCHAR, enabled BOOLEAN);
ALTER TABLE feature_flags DROP COLUMN IF EXISTS rollout_pct;
