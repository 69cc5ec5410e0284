ALTER TABLE skus ADD PRIMARY KEY (sku);
INSERT INTO skus VALUES ('A-1', 'second mug');
