CREATE TABLE probes (probe_id INTEGER, cfg STRUCT(url VARCHAR, interval_s INTEGER, legacy BOOLEAN));
INSERT INTO probes VALUES (1, {'url': 'https://a.test', 'interval_s': 30, 'legacy': false});
