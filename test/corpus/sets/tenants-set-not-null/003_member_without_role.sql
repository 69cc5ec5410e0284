INSERT INTO members VALUES (3, 'acme', NULL);
