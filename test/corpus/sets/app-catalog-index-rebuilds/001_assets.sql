CREATE TABLE app.assets (
	name TEXT NOT NULL,
	kind INTEGER NOT NULL,
	body BLOB NOT NULL,
	created_on TIMESTAMPTZ NOT NULL,
	bytes_stored INTEGER,
	PRIMARY KEY (name)
);
CREATE UNIQUE INDEX assets_name_ci ON app.assets (lower(name));
INSERT INTO app.assets VALUES ('Logo', 1, '\x00'::BLOB, TIMESTAMPTZ '2026-01-01 00:00:00+00', 10);
