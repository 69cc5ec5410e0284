ALTER TABLE delivery_routes ADD COLUMN distance_km DOUBLE;
INSERT INTO delivery_routes VALUES (1, 'north', 12.5);
