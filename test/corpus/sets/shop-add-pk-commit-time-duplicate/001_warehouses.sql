CREATE TABLE warehouses (code VARCHAR, city VARCHAR);
INSERT INTO warehouses VALUES ('BER', 'Berlin');
