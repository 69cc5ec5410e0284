UPDATE promotions SET ends_on = DATE '2026-06-30' WHERE promo_id = 1;
