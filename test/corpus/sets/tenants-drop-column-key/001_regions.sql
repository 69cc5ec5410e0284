CREATE TABLE regions (region_code VARCHAR PRIMARY KEY, display_name VARCHAR, notes VARCHAR);
INSERT INTO regions VALUES ('eu', 'Europe', ''), ('us', 'United States', '');
