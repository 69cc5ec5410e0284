CREATE TABLE loyalty_tiers (tier VARCHAR PRIMARY KEY, min_points INTEGER);
CREATE TABLE loyalty_members (member VARCHAR, tier VARCHAR REFERENCES loyalty_tiers (tier));
