// The API's configuration: its view of the environment schema (config/variables.ts).
// A pure function of the env it is given, so tests can feed it any; every bad value is
// reported at once in one ConfigError.
import type { LevelWithSilent } from 'pino';
import { GOVERNANCE_VARIABLES, governanceSettingsFrom, type MaintenanceSettings, type NotificationSettings } from './governance.js';
import type { ApprovalPolicy } from '../contract/index.js';
import type { TokenEntry } from './token-list.js';
import { readVariables, processEnvironment } from './variables.js';

export interface ApiConfig {
  port: number;
  host: string;
  /** managed Redis data and the generated admin token live here */
  dataDir: string;
  /** from DUCKMIG_TOKENS; null when unset: an admin token is generated in dataDir */
  tokens: TokenEntry[] | null;
  /** null when unset: whoever starts the API (duckmig start) must provide a Redis */
  redisUrl: string | null;
  logLevel: LevelWithSilent;
  /** mutating requests per token per minute (DUCKMIG_RATE_LIMIT) */
  rateLimitPerMinute: number;
  /** failed authentications per client per minute before 429 (DUCKMIG_AUTH_FAILURE_LIMIT) */
  authFailuresPerMinute: number;
  /** origins besides the API's own allowed to change state (DUCKMIG_ALLOWED_ORIGINS) */
  allowedOrigins: string[];
  /** client addresses from X-Forwarded-For (DUCKMIG_TRUST_PROXY=1, behind a reverse proxy) */
  trustProxy: boolean;
  /** reuse a status read while no change is announced, up to this long (DUCKMIG_STATUS_CACHE_MS) */
  statusCacheMs: number;
  /** webhooks for run events (DUCKMIG_WEBHOOKS); unset: none */
  notifications?: NotificationSettings;
  /** when runs may start (DUCKMIG_MAINTENANCE_WINDOW, DUCKMIG_WINDOW_POLICY); unset: any time */
  maintenance?: MaintenanceSettings;
  /** which runs need another admin's approval (DUCKMIG_APPROVALS) */
  approvals: ApprovalPolicy;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The API's variables (those whose readBy includes 'api'); throws ConfigError. */
export function loadApiConfig(env: Env = processEnvironment()): ApiConfig {
  const v = readVariables(env, [
    'PORT',
    'HOST',
    'DUCKMIG_DATA_DIR',
    'DUCKMIG_TOKENS',
    'REDIS_URL',
    'LOG_LEVEL',
    'DUCKMIG_RATE_LIMIT',
    'DUCKMIG_AUTH_FAILURE_LIMIT',
    'DUCKMIG_ALLOWED_ORIGINS',
    'DUCKMIG_TRUST_PROXY',
    'DUCKMIG_STATUS_CACHE_MS',
    ...GOVERNANCE_VARIABLES,
    'DUCKMIG_APPROVALS',
  ]);
  return {
    port: v.PORT,
    host: v.HOST,
    dataDir: v.DUCKMIG_DATA_DIR,
    tokens: v.DUCKMIG_TOKENS,
    redisUrl: v.REDIS_URL,
    logLevel: v.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: v.DUCKMIG_RATE_LIMIT,
    authFailuresPerMinute: v.DUCKMIG_AUTH_FAILURE_LIMIT,
    allowedOrigins: v.DUCKMIG_ALLOWED_ORIGINS,
    trustProxy: v.DUCKMIG_TRUST_PROXY,
    statusCacheMs: v.DUCKMIG_STATUS_CACHE_MS,
    ...governanceSettingsFrom(v),
    approvals: v.DUCKMIG_APPROVALS,
  };
}
