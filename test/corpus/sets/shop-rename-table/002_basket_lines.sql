ALTER TABLE basket RENAME TO basket_lines;
INSERT INTO basket_lines VALUES (2, 1);
