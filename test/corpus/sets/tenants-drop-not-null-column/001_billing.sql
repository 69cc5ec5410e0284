CREATE TABLE billing_accounts (account_id INTEGER, vat_id VARCHAR NOT NULL, country VARCHAR);
INSERT INTO billing_accounts VALUES (1, 'DE123', 'DE');
