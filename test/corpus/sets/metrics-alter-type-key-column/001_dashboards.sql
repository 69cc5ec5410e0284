CREATE TABLE dashboards (dashboard_id INTEGER PRIMARY KEY, title VARCHAR);
INSERT INTO dashboards VALUES (1, 'Latency');
