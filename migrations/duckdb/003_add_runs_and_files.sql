-- 003 runs and files (artifact management): a run per project action, the files each
-- run produced (SHA-256 hash, superseded versions), their lookup indexes, and macros
-- for sequencing runs and finding duplicate / previous file versions. Legacy schema v3.

CREATE TABLE IF NOT EXISTS runs (
    id            VARCHAR PRIMARY KEY,
    project_id    VARCHAR NOT NULL,
    timestamp     VARCHAR NOT NULL,
    sequence      INTEGER NOT NULL,
    action        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    created_at    TIMESTAMP DEFAULT current_timestamp,
    completed_at  TIMESTAMP,
    error_message VARCHAR,
    FOREIGN KEY (project_id) REFERENCES projects(id)
);

CREATE TABLE IF NOT EXISTS files (
    id              VARCHAR PRIMARY KEY,
    project_id      VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    filename        VARCHAR NOT NULL,
    file_path       VARCHAR NOT NULL,
    file_hash       VARCHAR(64) NOT NULL,
    file_size_bytes BIGINT NOT NULL,
    is_superseded   BOOLEAN DEFAULT false,
    superseded_by   VARCHAR,
    created_at      TIMESTAMP DEFAULT current_timestamp,
    processed_at    TIMESTAMP,
    FOREIGN KEY (project_id) REFERENCES projects(id),
    FOREIGN KEY (run_id) REFERENCES runs(id)
);

CREATE INDEX IF NOT EXISTS idx_runs_project_timestamp ON runs(project_id, timestamp);
CREATE INDEX IF NOT EXISTS idx_files_project_filename ON files(project_id, filename);
CREATE INDEX IF NOT EXISTS idx_files_hash ON files(file_hash);
CREATE INDEX IF NOT EXISTS idx_files_project_hash ON files(project_id, filename, file_hash);
CREATE INDEX IF NOT EXISTS idx_files_run ON files(run_id);

-- Next sequence number for a project's runs at one timestamp (1 when there are none).
CREATE OR REPLACE MACRO get_next_sequence(proj_id, ts) AS (
    SELECT COALESCE(MAX(sequence), 0) + 1
    FROM runs
    WHERE project_id = proj_id AND timestamp = ts
);

-- A not-superseded file with the same project, name and content, if any.
CREATE OR REPLACE MACRO find_duplicate_file(proj_id, fname, fhash) AS TABLE
    SELECT id, run_id, file_path
    FROM files
    WHERE project_id = proj_id AND filename = fname AND file_hash = fhash AND is_superseded = false
    LIMIT 1;

-- The current (not-superseded) version of a project's file, if any.
CREATE OR REPLACE MACRO find_previous_file_version(proj_id, fname) AS TABLE
    SELECT id, run_id, file_hash
    FROM files
    WHERE project_id = proj_id AND filename = fname AND is_superseded = false
    LIMIT 1;
