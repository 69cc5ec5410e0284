CREATE TABLE vouchers (voucher_id INTEGER, value STRUCT(currency VARCHAR, amount INTEGER) CHECK (value.amount > 0));
