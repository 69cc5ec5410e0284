CREATE TABLE counters (name VARCHAR, hits INTEGER, ratio FLOAT, seen_at VARCHAR);
INSERT INTO counters VALUES ('home', 10, 0.25, '2026-02-01'), ('cart', 3, 0.5, '2026-02-02');
