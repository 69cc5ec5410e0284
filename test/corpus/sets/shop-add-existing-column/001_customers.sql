CREATE TABLE customers (customer_id INTEGER, email VARCHAR);
