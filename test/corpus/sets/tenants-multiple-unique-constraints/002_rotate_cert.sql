UPDATE subdomains SET cert_serial = 'c3' WHERE sub_id = 1;
