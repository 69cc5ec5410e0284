CREATE TABLE gift_cards (card_no VARCHAR UNIQUE, holder VARCHAR NOT NULL, balance_cents INTEGER CHECK (balance_cents >= 0));
INSERT INTO gift_cards VALUES ('GC-1', 'ada', 500);
