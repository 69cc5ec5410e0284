ALTER TABLE delivery_routes DROP COLUMN distance_km;
