-- the service field becomes "service"
ALTER TABLE traces RENAME attrs.svc TO service;
