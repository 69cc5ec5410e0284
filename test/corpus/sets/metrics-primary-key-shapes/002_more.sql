INSERT INTO rollups VALUES ('cpu', 'h2', 'eu', 'fra', DATE '2026-01-01', 0, 0.1);
