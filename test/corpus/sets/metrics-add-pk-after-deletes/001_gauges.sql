CREATE TABLE gauges (gauge_id INTEGER, label VARCHAR);
INSERT INTO gauges SELECT g, 'gauge ' || g FROM range(1, 2001) t(g);
DELETE FROM gauges WHERE gauge_id % 3 = 0;
