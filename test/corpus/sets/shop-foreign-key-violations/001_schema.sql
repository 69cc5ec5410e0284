CREATE TABLE purchase_orders (po_id INTEGER PRIMARY KEY, supplier VARCHAR);
CREATE TABLE po_lines (po_id INTEGER REFERENCES purchase_orders (po_id), line_no INTEGER, qty INTEGER, PRIMARY KEY (po_id, line_no));
INSERT INTO purchase_orders VALUES (1, 'acme');
INSERT INTO po_lines VALUES (1, 1, 5);
