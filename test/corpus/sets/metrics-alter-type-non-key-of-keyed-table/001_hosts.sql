CREATE TABLE hosts (host_id INTEGER PRIMARY KEY, fqdn VARCHAR UNIQUE, cores SMALLINT, rack VARCHAR);
INSERT INTO hosts VALUES (1, 'db1.example', 8, 'r1'), (2, 'db2.example', 16, 'r2');
