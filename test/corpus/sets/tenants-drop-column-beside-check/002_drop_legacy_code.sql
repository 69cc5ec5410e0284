ALTER TABLE seats DROP COLUMN legacy_code;
INSERT INTO seats VALUES ('globex', 5);
