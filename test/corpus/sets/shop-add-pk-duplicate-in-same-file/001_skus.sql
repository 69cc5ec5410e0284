CREATE TABLE skus (sku VARCHAR, title VARCHAR);
INSERT INTO skus VALUES ('A-1', 'mug');
