UPDATE team_members SET tenant = 'unassigned' WHERE tenant IS NULL;
