CREATE TABLE latency (endpoint VARCHAR, p99_ms DOUBLE);
CREATE VIEW slow_endpoints AS SELECT endpoint FROM latency WHERE p99_ms > 500;
