ALTER TABLE samples ADD PRIMARY KEY (series, bucket);
