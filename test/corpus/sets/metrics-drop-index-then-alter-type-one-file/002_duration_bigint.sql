DROP INDEX spans_duration;
ALTER TABLE spans ALTER duration_us TYPE BIGINT;
