// The API's configuration, a view over the one environment schema in config/.
export { loadApiConfig, type ApiConfig } from '../config/api.js';
export { ConfigError } from '../config/config-error.js';
