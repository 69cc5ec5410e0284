CREATE SEQUENCE ticket_no START 1;
CREATE TABLE tickets (ticket_no INTEGER DEFAULT nextval('ticket_no'), title VARCHAR, priority TINYINT);
CREATE MACRO is_urgent(p) AS p >= 3;
CREATE VIEW urgent_tickets AS SELECT * FROM tickets WHERE is_urgent(priority);
