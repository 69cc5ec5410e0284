CREATE TABLE delivery_routes (route_id INTEGER PRIMARY KEY, depot VARCHAR);
