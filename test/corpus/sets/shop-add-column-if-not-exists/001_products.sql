CREATE TABLE products (product_id INTEGER, name VARCHAR, stock INTEGER);
INSERT INTO products VALUES (1, 'kettle', 4);
