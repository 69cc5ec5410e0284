ALTER TABLE orders ADD PRIMARY KEY (order_no);
