CREATE TABLE alerts (alert_id INTEGER, rule STRUCT(metric VARCHAR, threshold DOUBLE));
INSERT INTO alerts VALUES (1, {'metric': 'cpu', 'threshold': 0.9});
