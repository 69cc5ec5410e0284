CREATE TABLE invoices (customer VARCHAR, amount_cents BIGINT);
INSERT INTO invoices VALUES ('ada', 1200), ('bo', 300);
