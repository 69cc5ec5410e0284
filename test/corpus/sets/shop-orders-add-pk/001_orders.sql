CREATE TABLE orders (order_no INTEGER, customer VARCHAR, total_cents BIGINT);
INSERT INTO orders VALUES (1001, 'ada', 2500), (1002, 'bo', 990), (1003, 'cy', 12000);
