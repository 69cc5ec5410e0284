CREATE TABLE voucher_batches (batch_id INTEGER, issued_on DATE);
