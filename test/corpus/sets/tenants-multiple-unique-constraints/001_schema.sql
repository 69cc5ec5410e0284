CREATE TABLE subdomains (sub_id INTEGER PRIMARY KEY, host VARCHAR UNIQUE, cert_serial VARCHAR UNIQUE);
INSERT INTO subdomains VALUES (1, 'a.acme.test', 'c1'), (2, 'b.acme.test', 'c2');
