CREATE TABLE budgets (team VARCHAR, limit_eur INTEGER CHECK (limit_eur >= 0));
INSERT INTO budgets VALUES ('ops', 1000), ('web', 250);
