-- +goose Up
-- +goose StatementBegin
CREATE TABLE pos_tills (till_id INTEGER, store_id INTEGER REFERENCES pos_stores (store_id), opened_at TIMESTAMP);
INSERT INTO pos_stores VALUES (1, 'Main street');
INSERT INTO pos_tills VALUES (1, 1, TIMESTAMP '2026-01-06 09:00:00');
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE pos_tills;
-- +goose StatementEnd
