INSERT INTO po_lines VALUES (2, 1, 1);
