ALTER TABLE budgets ALTER limit_eur TYPE DECIMAL(12, 2);
INSERT INTO budgets VALUES ('data', 99.5);
