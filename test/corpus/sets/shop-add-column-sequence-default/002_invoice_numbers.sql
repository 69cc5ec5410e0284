CREATE SEQUENCE invoice_no START 5000;
ALTER TABLE invoices ADD COLUMN invoice_no BIGINT DEFAULT nextval('invoice_no');
