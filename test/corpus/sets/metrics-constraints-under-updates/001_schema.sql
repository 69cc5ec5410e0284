CREATE TABLE slo_targets (slo_id INTEGER PRIMARY KEY, service VARCHAR NOT NULL, target DOUBLE CHECK (target BETWEEN 0 AND 1));
INSERT INTO slo_targets VALUES (1, 'api', 0.999), (2, 'web', 0.99);
