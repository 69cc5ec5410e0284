CREATE TABLE seats (tenant VARCHAR, legacy_code VARCHAR, seat_count INTEGER CHECK (seat_count BETWEEN 1 AND 500));
INSERT INTO seats VALUES ('acme', 'X1', 20);
