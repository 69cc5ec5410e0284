CREATE OR REPLACE MACRO is_urgent(p) AS p >= 4;
CREATE MACRO tickets_over(p) AS TABLE SELECT * FROM tickets WHERE priority > p;
CREATE OR REPLACE VIEW urgent_tickets AS SELECT ticket_no, title FROM tickets WHERE is_urgent(priority);
INSERT INTO tickets (title, priority) VALUES ('db down', 5);
