ALTER VIEW slow_endpoints RENAME TO slow_endpoints_v;
