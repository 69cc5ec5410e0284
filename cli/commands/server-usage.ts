// Usage lines of the service commands (start, api, worker) and of remote-only cancel,
// kept apart from their modules so the command table can list them without loading
// BullMQ, Hono and DuckDB for every `duckmig` invocation.
export const startUsage = 'duckmig start   (no options: configured by the environment, listed by --help)';
export const apiUsage = 'duckmig api   (no options: configured by the environment, listed by --help)';
export const workerUsage = 'duckmig worker   (no options: configured by the environment, listed by --help)';
export const cancelUsage = 'duckmig cancel JOB_ID --api URL --token TOKEN [--wait [--timeout SECONDS]] [--json]';
