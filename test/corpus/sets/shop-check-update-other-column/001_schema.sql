CREATE TABLE bundles (bundle_id INTEGER, min_items INTEGER, max_items INTEGER, title VARCHAR, CHECK (min_items <= max_items));
INSERT INTO bundles VALUES (1, 2, 5, 'starter');
