CREATE TABLE couriers (courier_id INTEGER PRIMARY KEY, name VARCHAR);
