CREATE TABLE quotas (tenant VARCHAR, used_gb INTEGER, max_gb INTEGER CHECK (max_gb > 0), CHECK (used_gb <= max_gb));
INSERT INTO quotas VALUES ('acme', 3, 10);
