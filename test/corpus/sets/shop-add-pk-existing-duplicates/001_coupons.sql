CREATE TABLE coupons (code VARCHAR, percent_off INTEGER);
INSERT INTO coupons VALUES ('SPRING', 10), ('SUMMER', 15), ('SPRING', 20);
