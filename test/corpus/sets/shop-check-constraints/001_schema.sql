CREATE TABLE promotions (
  promo_id INTEGER,
  starts_on DATE,
  ends_on DATE,
  discount STRUCT(kind VARCHAR, amount INTEGER) CHECK (struct_extract(discount, 'amount') > 0),
  CHECK (ends_on >= starts_on)
);
INSERT INTO promotions VALUES (1, DATE '2026-05-01', DATE '2026-05-31', {'kind': 'pct', 'amount': 10});
