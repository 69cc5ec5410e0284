UPDATE subdomains SET host = 'a.acme.test' WHERE sub_id = 2;
