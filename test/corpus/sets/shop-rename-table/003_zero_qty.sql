INSERT INTO basket_lines VALUES (3, 0);
