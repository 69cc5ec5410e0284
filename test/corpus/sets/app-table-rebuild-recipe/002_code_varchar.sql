CREATE TABLE short_links_new (code VARCHAR PRIMARY KEY, target VARCHAR NOT NULL, clicks BIGINT DEFAULT 0);
INSERT INTO short_links_new SELECT CAST(code AS VARCHAR), target, clicks FROM short_links;
DROP TABLE short_links;
ALTER TABLE short_links_new RENAME TO short_links;
CREATE INDEX short_links_target ON short_links (target);
