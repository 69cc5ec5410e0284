ALTER TABLE gift_cards RENAME COLUMN card_no TO card_number;
ALTER TABLE gift_cards RENAME holder TO holder_name;
ALTER TABLE gift_cards RENAME COLUMN balance_cents TO balance;
