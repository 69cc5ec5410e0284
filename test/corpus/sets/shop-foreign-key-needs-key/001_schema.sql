CREATE TABLE price_lists (currency VARCHAR, region VARCHAR, label VARCHAR, PRIMARY KEY (currency, region));
CREATE TABLE prices (sku VARCHAR, currency VARCHAR, region VARCHAR, cents INTEGER,
  FOREIGN KEY (currency, region) REFERENCES price_lists (currency, region));
