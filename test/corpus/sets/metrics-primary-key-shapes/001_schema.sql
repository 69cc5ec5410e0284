CREATE TABLE feature_states (enabled BOOLEAN PRIMARY KEY, label VARCHAR);
INSERT INTO feature_states VALUES (true, 'on'), (false, 'off');
CREATE TABLE rollups (metric VARCHAR, host VARCHAR, region VARCHAR, dc VARCHAR, day DATE, hour TINYINT, value DOUBLE,
  PRIMARY KEY (metric, host, region, dc, day, hour));
INSERT INTO rollups VALUES ('cpu', 'h1', 'eu', 'fra', DATE '2026-01-01', 0, 0.3), ('cpu', 'h1', 'eu', 'fra', DATE '2026-01-01', 1, 0.4);
