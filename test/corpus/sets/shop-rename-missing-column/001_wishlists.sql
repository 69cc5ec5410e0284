CREATE TABLE wishlists (wishlist_id INTEGER, owner VARCHAR);
