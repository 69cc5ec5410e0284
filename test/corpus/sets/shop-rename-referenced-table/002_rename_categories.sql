ALTER TABLE categories RENAME TO product_categories;
