CREATE TABLE categories (category_id INTEGER PRIMARY KEY, title VARCHAR);
CREATE TABLE listings (listing_id INTEGER PRIMARY KEY, category_id INTEGER REFERENCES categories (category_id));
INSERT INTO categories VALUES (1, 'kitchen');
INSERT INTO listings VALUES (10, 1);
