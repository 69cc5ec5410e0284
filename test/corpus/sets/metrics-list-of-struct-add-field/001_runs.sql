CREATE TABLE pipeline_runs (run_id INTEGER, steps STRUCT(name VARCHAR, ok BOOLEAN)[], env MAP(VARCHAR, STRUCT(val VARCHAR)));
INSERT INTO pipeline_runs VALUES (1, [{'name': 'build', 'ok': true}], MAP {'CI': {'val': '1'}});
