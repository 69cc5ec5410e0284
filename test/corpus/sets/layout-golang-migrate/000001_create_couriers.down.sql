DROP TABLE couriers;
