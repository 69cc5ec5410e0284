INSERT INTO app.assets VALUES ('logo', 1, '\x01'::BLOB, TIMESTAMPTZ '2026-01-02 00:00:00+00', 12, 'system');
