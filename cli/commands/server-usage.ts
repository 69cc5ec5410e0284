// Usage lines of the service commands (start, api, worker) and of remote-only cancel,
// approve, reject and withdraw,
// kept apart from their modules so the command table can list them without loading
// BullMQ, Hono and DuckDB for every `duckmig` invocation.
export const startUsage = 'duckmig start   (no options: configured by the environment, listed by --help)';
export const apiUsage = 'duckmig api   (no options: configured by the environment, listed by --help)';
export const workerUsage = 'duckmig worker   (no options: configured by the environment, listed by --help)';
export const cancelUsage = 'duckmig cancel JOB_ID --api URL --token TOKEN [--wait [--timeout SECONDS]] [--json]';
export const approveUsage = 'duckmig approve JOB_ID --api URL --token TOKEN [--comment TEXT] [--json]   (admin token; not the requester\'s)';
export const rejectUsage = 'duckmig reject JOB_ID --comment TEXT --api URL --token TOKEN [--json]   (admin token; not the requester\'s)';
export const withdrawUsage = 'duckmig withdraw JOB_ID --api URL --token TOKEN [--comment TEXT] [--json]   (the requester\'s token)';
export const scheduledUsage = 'duckmig scheduled --api URL --token TOKEN [--json]   (runs waiting for their time or a maintenance window; cancel one with duckmig cancel JOB_ID)';
