ALTER TABLE billing_accounts DROP COLUMN vat_id;
INSERT INTO billing_accounts VALUES (2, 'FR');
