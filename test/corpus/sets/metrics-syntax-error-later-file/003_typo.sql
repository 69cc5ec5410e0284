-- free space per disk
ALTER TABLE fleet_disks ADD COLUMN free_gb INTEGER;
ALTER TABEL fleet_disks ADD COLUMN used_pct DOUBLE;
