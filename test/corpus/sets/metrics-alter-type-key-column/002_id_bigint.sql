ALTER TABLE dashboards ALTER dashboard_id TYPE BIGINT;
