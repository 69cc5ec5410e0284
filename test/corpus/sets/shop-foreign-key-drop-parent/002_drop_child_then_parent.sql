DROP TABLE loyalty_members;
DROP TABLE loyalty_tiers;
