-- 004 upload settings: one row (id 'default') holding the allowed upload extensions
-- (a JSON array kept as text) and the size limit. The application writes the row on
-- first use, so the migration creates only the table. Legacy schema v4.
CREATE TABLE IF NOT EXISTS upload_settings (
    id                 VARCHAR PRIMARY KEY DEFAULT 'default',
    allowed_extensions VARCHAR NOT NULL,
    max_file_size_mb   INTEGER NOT NULL,
    updated_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_by         VARCHAR
);
