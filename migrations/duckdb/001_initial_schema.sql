-- 001 initial schema: the ledger, projects, repositories, links between repositories,
-- and system logs, with their indexes. Reproduces legacy schema v1 exactly, so databases
-- created by the old in-code upgrader (schema_version 1) are indistinguishable.
-- Idempotent: every statement is IF NOT EXISTS.

-- The migration ledger (duckmig also creates it before running anything; same definition).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER   NOT NULL,
    name        VARCHAR   NOT NULL,
    checksum    VARCHAR   NOT NULL,
    status      VARCHAR   NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    duration_ms DOUBLE,
    applied_by  VARCHAR,
    run_id      VARCHAR,
    job_id      VARCHAR,
    error       VARCHAR
);

CREATE TABLE IF NOT EXISTS projects (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    description VARCHAR,
    created_at  TIMESTAMP DEFAULT current_timestamp,
    updated_at  TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS repositories (
    id          VARCHAR PRIMARY KEY,
    project_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    source_ref  VARCHAR,
    file_count  INTEGER DEFAULT 0,
    node_count  INTEGER DEFAULT 0,
    last_synced TIMESTAMP,
    created_at  TIMESTAMP DEFAULT current_timestamp,
    FOREIGN KEY (project_id) REFERENCES projects(id)
);

-- Relationships between repositories.
CREATE TABLE IF NOT EXISTS links (
    id             VARCHAR PRIMARY KEY,
    project_id     VARCHAR NOT NULL,
    source_repo_id VARCHAR NOT NULL,
    target_repo_id VARCHAR NOT NULL,
    link_type      VARCHAR NOT NULL,
    description    VARCHAR,
    confidence     FLOAT,
    evidence       JSON,
    created_at     TIMESTAMP DEFAULT current_timestamp,
    FOREIGN KEY (project_id) REFERENCES projects(id),
    FOREIGN KEY (source_repo_id) REFERENCES repositories(id),
    FOREIGN KEY (target_repo_id) REFERENCES repositories(id)
);

CREATE TABLE IF NOT EXISTS system_logs (
    log_id    VARCHAR PRIMARY KEY,
    timestamp TIMESTAMP DEFAULT current_timestamp,
    level     VARCHAR NOT NULL,
    source    VARCHAR NOT NULL,
    message   VARCHAR NOT NULL,
    context   JSON
);

CREATE INDEX IF NOT EXISTS idx_repos_project  ON repositories(project_id);
CREATE INDEX IF NOT EXISTS idx_links_project  ON links(project_id);
CREATE INDEX IF NOT EXISTS idx_links_source   ON links(source_repo_id);
CREATE INDEX IF NOT EXISTS idx_links_target   ON links(target_repo_id);
CREATE INDEX IF NOT EXISTS idx_logs_timestamp ON system_logs(timestamp);
CREATE INDEX IF NOT EXISTS idx_logs_level     ON system_logs(level);
