UPDATE slo_targets SET target = 0.995 WHERE service = 'web';
