CREATE TABLE stores (store_id INTEGER PRIMARY KEY, city VARCHAR);
CREATE TABLE store_hours (store_id INTEGER REFERENCES stores (store_id), weekday TINYINT, opens TIME);
INSERT INTO stores VALUES (1, 'Lyon');
