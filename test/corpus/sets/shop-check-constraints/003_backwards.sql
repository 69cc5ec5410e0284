UPDATE promotions SET ends_on = DATE '2026-04-01' WHERE promo_id = 1;
