CREATE TABLE loyalty_tiers (tier VARCHAR PRIMARY KEY);
CREATE TABLE loyalty_members (member VARCHAR, tier VARCHAR REFERENCES loyalty_tiers (tier));
