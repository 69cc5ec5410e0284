ALTER VIEW slow_endpoints_v RENAME TO latency;
