INSERT INTO feature_states VALUES (true, 'enabled');
