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

/** Reads PORT, HOST, DUCKMIG_DATA_DIR, DUCKMIG_TOKENS, REDIS_URL, LOG_LEVEL, DUCKMIG_RATE_LIMIT; throws ConfigError. */
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

  let tokens: TokenEntry[] | null = null;
  const rawTokens = value('DUCKMIG_TOKENS');
  if (rawTokens !== undefined) {
    const parsed = parseTokenList(rawTokens);
    tokens = parsed.entries;
    for (const problem of parsed.problems) problems.push(`DUCKMIG_TOKENS ${problem}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, host, dataDir, tokens, redisUrl, logLevel, rateLimitPerMinute };
}
