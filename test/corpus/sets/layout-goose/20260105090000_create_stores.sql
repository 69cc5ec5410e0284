-- +goose Up
CREATE TABLE pos_stores (store_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);

-- +goose Down
DROP TABLE pos_stores;
