CREATE TABLE reviews (review_id INTEGER, stars TINYINT);
INSERT INTO reviews VALUES (1, 5), (2, 3);
