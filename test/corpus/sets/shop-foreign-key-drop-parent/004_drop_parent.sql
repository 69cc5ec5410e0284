DROP TABLE loyalty_tiers;
