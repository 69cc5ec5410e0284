ALTER TABLE stock_history RENAME TO stock_log;
