UPDATE members SET tenant = 'unassigned' WHERE tenant IS NULL;
ALTER TABLE members ALTER COLUMN tenant SET NOT NULL;
ALTER TABLE members ALTER COLUMN role DROP NOT NULL;
