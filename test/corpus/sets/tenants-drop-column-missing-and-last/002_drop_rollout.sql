ALTER TABLE feature_flags DROP COLUMN rollout_pct;
