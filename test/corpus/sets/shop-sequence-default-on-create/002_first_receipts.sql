INSERT INTO receipts (customer) VALUES ('ada'), ('bo');
