CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, carrier VARCHAR);
CREATE INDEX shipments_carrier ON shipments (carrier);
INSERT INTO shipments VALUES (1, 'dhl'), (2, 'ups');
