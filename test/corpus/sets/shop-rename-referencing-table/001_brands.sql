CREATE TABLE brands (brand_id INTEGER PRIMARY KEY, name VARCHAR);
CREATE TABLE brand_logos (logo_id INTEGER, brand_id INTEGER REFERENCES brands (brand_id));
