CREATE TABLE spans (trace_id VARCHAR, span_id INTEGER, duration_us INTEGER);
INSERT INTO spans VALUES ('t1', 1, 120), ('t1', 2, 80);
CREATE INDEX spans_duration ON spans (duration_us);
