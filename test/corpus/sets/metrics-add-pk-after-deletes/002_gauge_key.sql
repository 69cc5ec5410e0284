ALTER TABLE gauges ADD PRIMARY KEY (gauge_id);
INSERT INTO gauges VALUES (3, 'gauge 3 again');
