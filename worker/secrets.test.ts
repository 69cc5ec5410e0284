// Specification of the secrets a process scrubs from migration errors: the API tokens and
// the Redis password from the environment, and the generated admin token and managed Redis
// password from the data directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorText } from '../core/error-text.js';
import { dataDirSecrets, envSecrets, redisUrlSecrets } from '../config/secrets.js';

describe('known secrets', () => {
  it('come from DUCKMIG_TOKENS, DUCKMIG_TOKEN and the password in REDIS_URL', () => {
    expect(envSecrets({ DUCKMIG_TOKENS: 'ci:operator:aaaaaaaaaaaaaaaa1, alice:admin:bbbbbbbbbbbbbbbb2', DUCKMIG_TOKEN: 'cccccccccccccccc3', REDIS_URL: 'redis://:p%40ss-word-4@redis:6379/0' })).toEqual([
      'aaaaaaaaaaaaaaaa1',
      'bbbbbbbbbbbbbbbb2',
      'cccccccccccccccc3',
      'p@ss-word-4',
    ]);
    expect(redisUrlSecrets('redis://127.0.0.1:6379')).toEqual([]);
  });

  it('come from admin.token and redis.password in the data directory, and are scrubbed from error text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duckmig-secrets-'));
    try {
      expect(dataDirSecrets(dir)).toEqual([]);
      writeFileSync(join(dir, 'admin.token'), 'admin-token-value-123\n');
      writeFileSync(join(dir, 'redis.password'), 'redis-password-value-456\n');
      const secrets = dataDirSecrets(dir);
      expect(secrets).toEqual(['admin-token-value-123', 'redis-password-value-456']);
      expect(errorText("Could not convert string 'admin-token-value-123' nor 'redis-password-value-456'", secrets)).toBe("Could not convert string '[redacted]' nor '[redacted]'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
