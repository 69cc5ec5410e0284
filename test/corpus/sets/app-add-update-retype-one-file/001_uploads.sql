CREATE TABLE uploads (upload_id INTEGER PRIMARY KEY, filename VARCHAR, size_bytes INTEGER);
INSERT INTO uploads VALUES (1, 'a.png', 2048), (2, 'b.pdf', 4096);
