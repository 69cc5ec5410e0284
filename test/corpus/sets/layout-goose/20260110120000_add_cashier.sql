-- +goose Up
ALTER TABLE pos_tills ADD COLUMN cashier VARCHAR;
ALTER TABLE pos_shifts ADD COLUMN till_id INTEGER;

-- +goose Down
ALTER TABLE pos_tills DROP COLUMN cashier;
