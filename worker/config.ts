// The worker's configuration, a view over the one environment schema in config/.
export { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, loadWorkerConfig, type WorkerConfig } from '../config/worker.js';
export { ConfigError } from '../config/config-error.js';
