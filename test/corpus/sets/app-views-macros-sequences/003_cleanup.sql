DROP VIEW urgent_tickets;
DROP MACRO TABLE tickets_over;
