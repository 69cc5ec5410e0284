CREATE SEQUENCE receipt_no START 100;
CREATE TABLE receipts (receipt_no BIGINT DEFAULT nextval('receipt_no') PRIMARY KEY, customer VARCHAR);
