CREATE TABLE addresses (address_id INTEGER, street VARCHAR, zip VARCHAR);
ALTER TABLE addresses RENAME zip TO postal_code;
