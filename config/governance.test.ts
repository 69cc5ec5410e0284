// Specification of the notification and maintenance-window settings: endpoints parsed with
// their format, a webhook URL never echoed in a problem, a secret required with webhooks,
// windows and policy read together with the rest of a process's variables.
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.js';
import { ConfigError } from './config-error.js';
import { envSecrets } from './secrets.js';
import { loadWorkerConfig } from './worker.js';

const SECRET = 's'.repeat(32);

function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('webhook settings', () => {
  it('reads json and slack endpoints, naming each by host and an id that is not its URL', () => {
    const config = loadWorkerConfig({ DUCKMIG_WEBHOOKS: 'json:https://hooks.example.com/a, slack:https://hooks.slack.com/services/T0/B0/XYZ', DUCKMIG_WEBHOOK_SECRET: SECRET });
    expect(config.notifications?.endpoints.map((e) => [e.format, e.host])).toEqual([
      ['json', 'hooks.example.com'],
      ['slack', 'hooks.slack.com'],
    ]);
    expect(config.notifications?.endpoints[1]!.id).toMatch(/^[0-9a-f]{12}$/);
    expect(config.notifications?.timeoutMs).toBe(5000);
  });

  it('no webhooks, no notifications', () => {
    expect(loadApiConfig({}).notifications).toBeUndefined();
  });

  it('webhooks without a secret stop the start, naming DUCKMIG_WEBHOOK_SECRET', () => {
    expect(problemsOf(() => loadApiConfig({ DUCKMIG_WEBHOOKS: 'json:https://hooks.example.com/a' }))).toEqual([expect.stringMatching(/^DUCKMIG_WEBHOOK_SECRET must be set/)]);
    expect(problemsOf(() => loadApiConfig({ DUCKMIG_WEBHOOKS: 'json:https://hooks.example.com/a', DUCKMIG_WEBHOOK_SECRET: 'short' }))).toEqual([
      expect.stringMatching(/^DUCKMIG_WEBHOOK_SECRET must be at least 16 characters \(example/),
    ]);
  });

  it('a bad entry is named by its position, never by its URL', () => {
    const problems = problemsOf(() => loadApiConfig({ DUCKMIG_WEBHOOKS: 'xml:https://h.example/tok-123,json:ftp://h.example/tok-456', DUCKMIG_WEBHOOK_SECRET: SECRET }));
    expect(problems).toEqual(['DUCKMIG_WEBHOOKS entry 1 must start with json: or slack:', 'DUCKMIG_WEBHOOKS entry 2 must be an http:// or https:// URL']);
    expect(problems.join()).not.toContain('tok-');
  });

  it('the secret and every webhook URL are scrubbed from error text', () => {
    const secrets = envSecrets({ DUCKMIG_WEBHOOKS: 'slack:https://hooks.slack.com/services/T0/B0/XYZ', DUCKMIG_WEBHOOK_SECRET: SECRET });
    expect(secrets).toEqual(expect.arrayContaining([SECRET, 'https://hooks.slack.com/services/T0/B0/XYZ']));
  });
});

describe('maintenance window settings', () => {
  it('reads the windows and the policy (wait by default)', () => {
    const config = loadApiConfig({ DUCKMIG_MAINTENANCE_WINDOW: 'Sat 02:00-04:00 UTC; Mon-Fri 22:00-23:00' });
    expect(config.maintenance?.windows.map((w) => w.text)).toEqual(['Sat 02:00-04:00 UTC', 'Mon-Fri 22:00-23:00']);
    expect(config.maintenance?.policy).toBe('wait');
    expect(loadWorkerConfig({ DUCKMIG_MAINTENANCE_WINDOW: 'daily 01:00-02:00', DUCKMIG_WINDOW_POLICY: 'refuse' }).maintenance?.policy).toBe('refuse');
  });

  it('a bad window or policy is reported with the other problems, naming the bad part', () => {
    const problems = problemsOf(() => loadApiConfig({ DUCKMIG_MAINTENANCE_WINDOW: 'Caturday 02:00-04:00', DUCKMIG_WINDOW_POLICY: 'later', PORT: 'x' }));
    expect(problems).toEqual([
      expect.stringMatching(/^PORT must be/),
      expect.stringMatching(/^DUCKMIG_MAINTENANCE_WINDOW must be windows like .*unknown day "Caturday"/),
      expect.stringMatching(/^DUCKMIG_WINDOW_POLICY must be "wait" or "refuse"/),
    ]);
  });
});
