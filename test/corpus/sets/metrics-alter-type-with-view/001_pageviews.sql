CREATE TABLE pageviews (day DATE, views INTEGER);
CREATE VIEW busy_days AS SELECT day FROM pageviews WHERE views > 1000;
