CREATE TABLE points (day DATE, series VARCHAR, value DOUBLE);
