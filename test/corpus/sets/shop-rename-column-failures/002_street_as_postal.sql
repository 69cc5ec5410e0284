ALTER TABLE addresses RENAME street TO postal_code;
