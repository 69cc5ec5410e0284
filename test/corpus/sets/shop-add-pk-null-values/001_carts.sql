CREATE TABLE carts (cart_id INTEGER, owner VARCHAR);
INSERT INTO carts VALUES (1, 'ada'), (NULL, 'guest');
