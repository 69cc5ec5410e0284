ALTER TABLE coupons ADD COLUMN expires_on DATE;
