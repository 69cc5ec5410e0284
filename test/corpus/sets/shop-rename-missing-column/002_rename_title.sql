ALTER TABLE wishlists RENAME title TO name;
