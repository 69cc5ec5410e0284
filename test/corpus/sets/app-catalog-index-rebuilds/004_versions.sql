CREATE TABLE app.schema_state (
	version INTEGER NOT NULL,
	touched_on TIMESTAMPTZ DEFAULT current_timestamp,
);
INSERT INTO app.schema_state (version) VALUES (4);
