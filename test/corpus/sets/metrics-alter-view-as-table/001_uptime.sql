CREATE TABLE uptime (service VARCHAR, up_pct DOUBLE);
CREATE VIEW degraded AS SELECT service FROM uptime WHERE up_pct < 99.9;
