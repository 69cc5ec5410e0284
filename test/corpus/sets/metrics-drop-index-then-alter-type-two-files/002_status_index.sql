CREATE INDEX requests_status ON requests (status);
