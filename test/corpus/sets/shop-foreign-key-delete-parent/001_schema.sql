CREATE TABLE suppliers (supplier_id INTEGER PRIMARY KEY, name VARCHAR);
CREATE TABLE supplier_contacts (contact_id INTEGER, supplier_id INTEGER REFERENCES suppliers);
INSERT INTO suppliers VALUES (1, 'acme'), (2, 'globex');
INSERT INTO supplier_contacts VALUES (10, 1);
