// The secret values a duckmig process knows (API tokens, the generated admin token, the
// Redis password), so that error text can be scrubbed of them before it is stored or
// shown. Migrations cannot read them in the first place (the DuckDB sandbox); this list
// is the second line of defence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRedisUrl } from './redis-url.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The password of a REDIS_URL (any of its forms), if it carries one. */
export function redisUrlSecrets(url: string | null | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = parseRedisUrl(url);
    return password ? [password] : [];
  } catch {
    return [];
  }
}

/** Tokens and passwords given in the environment: DUCKMIG_TOKENS, DUCKMIG_TOKEN, REDIS_URL, the webhook secret and URLs. */
export function envSecrets(env: Env): string[] {
  const tokens = (env.DUCKMIG_TOKENS ?? '')
    .split(',')
    .map((entry) => entry.trim().split(':').slice(2).join(':'))
    .filter(Boolean);
  // a webhook URL may carry a token in its path (Slack's do): each URL is a secret
  const webhookUrls = (env.DUCKMIG_WEBHOOKS ?? '').split(',').map((entry) => entry.trim().replace(/^[a-z]+:/, ''));
  return [...tokens, env.DUCKMIG_TOKEN?.trim() ?? '', ...redisUrlSecrets(env.REDIS_URL?.trim()), env.DUCKMIG_WEBHOOK_SECRET?.trim() ?? '', ...webhookUrls].filter(Boolean);
}

/** The generated secrets kept in the data directory: admin.token, and the managed Redis's redis.password. */
export function dataDirSecrets(dataDir: string): string[] {
  const secrets: string[] = [];
  for (const file of ['admin.token', 'redis.password']) {
    try {
      const value = readFileSync(join(dataDir, file), 'utf8').trim();
      if (value) secrets.push(value);
    } catch {
      // not generated (DUCKMIG_TOKENS set, or an external Redis): nothing to scrub
    }
  }
  return secrets;
}
