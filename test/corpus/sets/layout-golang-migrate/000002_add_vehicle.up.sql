ALTER TABLE couriers ADD COLUMN vehicle VARCHAR DEFAULT 'bike';
INSERT INTO couriers (courier_id, name) VALUES (1, 'ada');
