UPDATE slo_targets SET service = NULL WHERE slo_id = 2;
