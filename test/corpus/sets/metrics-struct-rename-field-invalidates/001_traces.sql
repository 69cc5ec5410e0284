CREATE TABLE traces (trace_id VARCHAR, Attrs STRUCT(svc VARCHAR, code INTEGER));
INSERT INTO traces VALUES ('t1', ROW('api', 200));
