CREATE TABLE short_links (code INTEGER PRIMARY KEY, target VARCHAR NOT NULL, clicks INTEGER DEFAULT 0);
CREATE INDEX short_links_target ON short_links (target);
INSERT INTO short_links VALUES (1, 'https://a.test', 3), (2, 'https://b.test', 0);
