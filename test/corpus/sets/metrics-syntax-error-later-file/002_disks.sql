CREATE TABLE fleet_disks (host VARCHAR, mount VARCHAR, size_gb INTEGER);
