INSERT INTO seats VALUES ('initech', 900);
