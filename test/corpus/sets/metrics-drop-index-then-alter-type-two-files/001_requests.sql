CREATE TABLE requests (path VARCHAR, status SMALLINT, bytes INTEGER);
INSERT INTO requests VALUES ('/', 200, 512), ('/login', 302, 0);
