// Usage lines of the service commands (start, api, worker) and of remote-only cancel,
// kept apart from their modules so the command table can list them without loading
// BullMQ, Hono and DuckDB for every `duckmig` invocation.
export const startUsage =
  'duckmig start   (environment: PORT, HOST, DUCKMIG_DB, DUCKMIG_MIGRATIONS, DUCKMIG_DATA_DIR, DUCKMIG_TOKENS, REDIS_URL (unset: managed redis-server), LOG_LEVEL)';
export const apiUsage = 'duckmig api   (environment: PORT, HOST, REDIS_URL, DUCKMIG_TOKENS, DUCKMIG_DATA_DIR, LOG_LEVEL, DUCKMIG_RATE_LIMIT, DUCKMIG_AUTH_FAILURE_LIMIT, DUCKMIG_ALLOWED_ORIGINS, DUCKMIG_TRUST_PROXY)';
export const workerUsage =
  'duckmig worker   (environment: REDIS_URL, DUCKMIG_DB, DUCKMIG_MIGRATIONS, LOG_LEVEL, DUCKMIG_LOCK_DURATION_MS, DUCKMIG_STALLED_INTERVAL_MS)';
export const cancelUsage = 'duckmig cancel JOB_ID --api URL --token TOKEN [--wait [--timeout SECONDS]] [--json]';
