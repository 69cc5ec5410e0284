ALTER TABLE shipments ADD COLUMN tracking_code VARCHAR;
INSERT INTO shipments VALUES (3, 'dhl', 'JD0001');
