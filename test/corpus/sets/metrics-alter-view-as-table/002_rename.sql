ALTER TABLE degraded RENAME TO degraded_services;
