CREATE TABLE builds (build_id INTEGER, info STRUCT(branch VARCHAR, sha VARCHAR));
INSERT INTO builds VALUES (1, {'branch': 'main', 'sha': 'abc123'});
