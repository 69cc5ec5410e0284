CREATE TABLE price_notes (label VARCHAR REFERENCES price_lists (label), note VARCHAR);
