CREATE TABLE plans (plan_code VARCHAR NOT NULL, seats INTEGER NOT NULL);
INSERT INTO plans VALUES ('free', 1), ('team', 10);
