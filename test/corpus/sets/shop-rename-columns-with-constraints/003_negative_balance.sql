INSERT INTO gift_cards VALUES ('GC-2', 'bo', 100);
INSERT INTO gift_cards VALUES ('GC-3', 'cy', -1);
