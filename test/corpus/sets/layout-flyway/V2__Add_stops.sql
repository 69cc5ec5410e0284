CREATE TABLE route_stops (route_id INTEGER REFERENCES delivery_routes (route_id), seq INTEGER, address VARCHAR);
