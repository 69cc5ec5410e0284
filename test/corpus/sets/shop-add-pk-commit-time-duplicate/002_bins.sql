CREATE TABLE bins (bin_id INTEGER, warehouse VARCHAR);
INSERT INTO bins VALUES (1, 'BER'), (2, 'BER'), (2, 'BER');
ALTER TABLE bins ADD PRIMARY KEY (bin_id);
