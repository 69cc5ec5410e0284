-- every coupon code should be unique from now on
ALTER TABLE coupons ADD PRIMARY KEY (code);
