import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig } from './config.js';

const TOKEN = 'x'.repeat(40);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadApiConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadApiConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(loadApiConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: 'data',
      tokens: null,
      redisUrl: null,
      logLevel: 'info',
      rateLimitPerMinute: 30,
      authFailuresPerMinute: 20,
      allowedOrigins: [],
      trustProxy: false,
      statusCacheMs: 1000,
      approvals: 'off',
    });
  });

  it('reads the allowed origins, the proxy trust and the auth failure limit, and refuses what is not an origin', () => {
    expect(loadApiConfig({ DUCKMIG_ALLOWED_ORIGINS: 'https://duckmig.example.com, http://10.0.0.5:8080', DUCKMIG_TRUST_PROXY: '1', DUCKMIG_AUTH_FAILURE_LIMIT: '5' })).toMatchObject({
      allowedOrigins: ['https://duckmig.example.com', 'http://10.0.0.5:8080'],
      trustProxy: true,
      authFailuresPerMinute: 5,
    });
    const problems = problemsOf({ DUCKMIG_ALLOWED_ORIGINS: 'https://duckmig.example.com/ui,*', DUCKMIG_TRUST_PROXY: 'maybe', DUCKMIG_AUTH_FAILURE_LIMIT: '0' });
    expect(problems).toEqual([
      expect.stringMatching(/^DUCKMIG_AUTH_FAILURE_LIMIT must be a whole number/),
      expect.stringMatching(/^DUCKMIG_ALLOWED_ORIGINS entries must be origins .*"https:\/\/duckmig.example.com\/ui"/),
      expect.stringMatching(/^DUCKMIG_ALLOWED_ORIGINS entries must be origins .*"\*"/),
      expect.stringMatching(/^DUCKMIG_TRUST_PROXY must be 1 or 0/),
    ]);
  });

  it('reads every variable', () => {
    const config = loadApiConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      DUCKMIG_DATA_DIR: '/var/lib/duckmig',
      DUCKMIG_TOKENS: `ci:operator:${TOKEN}, ops:admin:${TOKEN}y`,
      REDIS_URL: 'redis://:secret@redis:6380/2',
      LOG_LEVEL: 'DEBUG',
      DUCKMIG_RATE_LIMIT: '120',
    });
    expect(config).toMatchObject({ port: 0, host: '0.0.0.0', dataDir: '/var/lib/duckmig', redisUrl: 'redis://:secret@redis:6380/2', logLevel: 'debug', rateLimitPerMinute: 120 });
    expect(config.tokens).toEqual([
      { name: 'ci', role: 'operator', token: TOKEN },
      { name: 'ops', role: 'admin', token: `${TOKEN}y` },
    ]);
  });

  it('accepts IPv6 hosts', () => {
    expect(loadApiConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it('treats an empty DUCKMIG_TOKENS like an unset one', () => {
    expect(loadApiConfig({ DUCKMIG_TOKENS: '  ' }).tokens).toBeNull();
  });

  it('names the variable, the problem and an example for each bad value, all at once', () => {
    const problems = problemsOf({ PORT: 'eighty', HOST: 'http://x', REDIS_URL: 'http://redis:6379', LOG_LEVEL: 'loud', DUCKMIG_RATE_LIMIT: '0' });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^PORT must be an integer from 0 to 65535, got "eighty" \(example: PORT=8080\)/);
    expect(problems[1]).toMatch(/^HOST .*example: HOST=/);
    expect(problems[2]).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, or a redis\+cluster:\/\/ or redis\+sentinel:\/\/ URL listing its nodes; .* \(example: REDIS_URL=redis:\/\/127.0.0.1:6379\)/);
    expect(problems[3]).toMatch(/^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
    expect(problems[4]).toMatch(/^DUCKMIG_RATE_LIMIT must be a whole number .*got "0" \(example: DUCKMIG_RATE_LIMIT=30\)/);
    expect(() => loadApiConfig({ PORT: '70000' })).toThrow(/PORT must be an integer/);
  });

  it('reports bad DUCKMIG_TOKENS entries by position without echoing any part of them', () => {
    const secret = 'SUPERSECRETVALUE1234567890';
    const problems = problemsOf({
      DUCKMIG_TOKENS: [`ci:operator:${TOKEN}`, secret, `bad name:viewer:${TOKEN}z`, `x:root:${TOKEN}w`, 'y:viewer:short', `ci:admin:${TOKEN}`, ''].join(','),
    });
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).not.toContain(TOKEN);
    expect(problems).toEqual([
      expect.stringMatching(/^DUCKMIG_TOKENS entry 2 must have the form name:role:token \(example: DUCKMIG_TOKENS=/),
      expect.stringMatching(/^DUCKMIG_TOKENS entry 3: the name must be/),
      expect.stringMatching(/^DUCKMIG_TOKENS entry 4: the role must be one of viewer, operator, admin/),
      expect.stringMatching(/^DUCKMIG_TOKENS entry 5: the token must be at least 16 characters/),
      'DUCKMIG_TOKENS entry 6 repeats the name of entry 1',
      'DUCKMIG_TOKENS entry 6 repeats the token of entry 1',
      expect.stringMatching(/^DUCKMIG_TOKENS entry 7 is empty/),
    ]);
  });

  it('never prints a REDIS_URL that may carry a password', () => {
    const problems = problemsOf({ REDIS_URL: 'htp://user:hunter2@redis' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
