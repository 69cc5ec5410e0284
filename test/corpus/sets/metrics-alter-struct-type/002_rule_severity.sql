ALTER TABLE alerts ALTER rule TYPE STRUCT(metric VARCHAR, threshold DOUBLE, severity VARCHAR)
  USING struct_pack(metric := struct_extract(rule, 'metric'), threshold := struct_extract(rule, 'threshold'), severity := 'warn');
