// The API's configuration, read from the environment by a pure function so tests can
// feed it any env. Every invalid value is reported at once, each naming the variable,
// what is wrong and an example; DUCKMIG_TOKENS problems name the entry, never the token.
import type { LevelWithSilent } from 'pino';
import { checkLogLevel, checkRedisUrl } from '../config/env.js';
import { parseTokenList, type TokenEntry } from './tokens.js';

export interface ApiConfig {
  port: number;
  host: string;
  /** managed Redis data and the generated admin token live here */
  dataDir: string;
  /** from DUCKMIG_TOKENS; null when unset: an admin token is generated in dataDir */
  tokens: TokenEntry[] | null;
  /** null when unset: whoever starts the API (npm start) must provide a Redis */
  redisUrl: string | null;
  logLevel: LevelWithSilent;
  /** mutating requests per token per minute (DUCKMIG_RATE_LIMIT, default 30) */
  rateLimitPerMinute: number;
  /** failed authentications per client per minute before 429 (DUCKMIG_AUTH_FAILURE_LIMIT, default 20) */
  authFailuresPerMinute: number;
  /** origins besides the API's own allowed to change state (DUCKMIG_ALLOWED_ORIGINS) */
  allowedOrigins: string[];
  /** client addresses from X-Forwarded-For (DUCKMIG_TRUST_PROXY=1, behind a reverse proxy) */
  trustProxy: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}


type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads PORT, HOST, DUCKMIG_DATA_DIR, DUCKMIG_TOKENS, REDIS_URL, LOG_LEVEL, DUCKMIG_RATE_LIMIT,
 * DUCKMIG_AUTH_FAILURE_LIMIT, DUCKMIG_ALLOWED_ORIGINS, DUCKMIG_TRUST_PROXY; throws ConfigError.
 */
export function loadApiConfig(env: Env = process.env): ApiConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };

  let port = 8080;
  const rawPort = value('PORT');
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port > 65535) {
      problems.push(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(rawPort)} (example: PORT=8080)`);
    }
  }

  const host = value('HOST') ?? '127.0.0.1';
  if (/[\s/]/.test(host)) {
    problems.push(`HOST must be a host name or IP address, got ${JSON.stringify(host)} (example: HOST=0.0.0.0)`);
  }

  const dataDir = value('DUCKMIG_DATA_DIR') ?? 'data';

  const redisUrl = checkRedisUrl(value('REDIS_URL'), problems);
  const logLevel = checkLogLevel(value('LOG_LEVEL'), problems);

  let rateLimitPerMinute = 30;
  const rawRate = value('DUCKMIG_RATE_LIMIT');
  if (rawRate !== undefined) {
    rateLimitPerMinute = Number(rawRate);
    if (!/^\d+$/.test(rawRate) || rateLimitPerMinute < 1) {
      problems.push(`DUCKMIG_RATE_LIMIT must be a whole number of requests per minute ≥ 1, got ${JSON.stringify(rawRate)} (example: DUCKMIG_RATE_LIMIT=30)`);
    }
  }

  let authFailuresPerMinute = 20;
  const rawFailures = value('DUCKMIG_AUTH_FAILURE_LIMIT');
  if (rawFailures !== undefined) {
    authFailuresPerMinute = Number(rawFailures);
    if (!/^\d+$/.test(rawFailures) || authFailuresPerMinute < 1) {
      problems.push(`DUCKMIG_AUTH_FAILURE_LIMIT must be a whole number of failed authentications per client and minute ≥ 1, got ${JSON.stringify(rawFailures)} (example: DUCKMIG_AUTH_FAILURE_LIMIT=20)`);
    }
  }

  const allowedOrigins: string[] = [];
  for (const raw of (value('DUCKMIG_ALLOWED_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean)) {
    let origin: string | null = null;
    try {
      const url = new URL(raw);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === raw.replace(/\/$/, '')) origin = url.origin;
    } catch {
      // reported below
    }
    if (origin) allowedOrigins.push(origin);
    else problems.push(`DUCKMIG_ALLOWED_ORIGINS entries must be origins (scheme://host[:port], no path), got ${JSON.stringify(raw)} (example: DUCKMIG_ALLOWED_ORIGINS=https://duckmig.example.com)`);
  }

  const rawTrust = value('DUCKMIG_TRUST_PROXY');
  const trustProxy = rawTrust !== undefined && /^(1|true|yes)$/i.test(rawTrust);
  if (rawTrust !== undefined && !/^(0|1|true|false|yes|no)$/i.test(rawTrust)) {
    problems.push(`DUCKMIG_TRUST_PROXY must be 1 or 0, got ${JSON.stringify(rawTrust)} (example: DUCKMIG_TRUST_PROXY=1 behind a reverse proxy that sets X-Forwarded-For)`);
  }

  let tokens: TokenEntry[] | null = null;
  const rawTokens = value('DUCKMIG_TOKENS');
  if (rawTokens !== undefined) {
    const parsed = parseTokenList(rawTokens);
    tokens = parsed.entries;
    for (const problem of parsed.problems) problems.push(`DUCKMIG_TOKENS ${problem}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, host, dataDir, tokens, redisUrl, logLevel, rateLimitPerMinute, authFailuresPerMinute, allowedOrigins, trustProxy };
}
