CREATE TABLE devices (device_id INTEGER, meta STRUCT(vendor VARCHAR, fw STRUCT(major INTEGER, minor INTEGER)));
INSERT INTO devices VALUES (1, {'vendor': 'acme', 'fw': {'major': 1, 'minor': 4}});
