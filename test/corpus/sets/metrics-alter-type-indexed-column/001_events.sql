CREATE TABLE events (event_id INTEGER, kind VARCHAR, occurred_at TIMESTAMP);
INSERT INTO events VALUES (1, 'click', TIMESTAMP '2026-03-01 10:00:00');
CREATE INDEX events_kind ON events (kind);
