DELETE FROM suppliers WHERE supplier_id = 1;
