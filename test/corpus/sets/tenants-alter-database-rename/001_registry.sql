CREATE TABLE registry (tenant VARCHAR);
