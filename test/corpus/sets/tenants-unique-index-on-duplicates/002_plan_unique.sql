CREATE UNIQUE INDEX orgs_plan ON orgs (plan);
