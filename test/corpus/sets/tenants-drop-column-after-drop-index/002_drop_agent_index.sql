DROP INDEX sessions_agent;
