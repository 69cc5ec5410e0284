CREATE TABLE readings (sensor VARCHAR, raw VARCHAR);
INSERT INTO readings VALUES ('t1', '21'), ('t2', 'n/a');
