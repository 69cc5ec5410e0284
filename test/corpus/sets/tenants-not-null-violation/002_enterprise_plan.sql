INSERT INTO plans VALUES ('enterprise', NULL);
