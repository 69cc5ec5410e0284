CREATE TABLE stock_levels (sku VARCHAR, qty INTEGER);
CREATE TABLE stock_moves (sku VARCHAR, delta INTEGER);
