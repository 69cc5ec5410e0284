ALTER TABLE stock_moves RENAME TO stock_levels;
