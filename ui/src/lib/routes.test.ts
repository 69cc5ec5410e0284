import { describe, expect, it } from 'vitest';
import { hrefFor, parseHash } from './routes.js';

describe('routes', () => {
  it('maps hashes to pages and back', () => {
    expect(parseHash('')).toEqual({ page: 'migrations' });
    expect(parseHash('#/')).toEqual({ page: 'migrations' });
    expect(parseHash('#/history')).toEqual({ page: 'history', runId: null });
    expect(parseHash('#/history/run%201')).toEqual({ page: 'history', runId: 'run 1' });
    expect(parseHash('#/nowhere')).toEqual({ page: 'migrations' });
    expect(parseHash('#/schema')).toEqual({ page: 'schema' });
    expect(parseHash('#/webhooks')).toEqual({ page: 'webhooks' });
    expect(hrefFor({ page: 'schema' })).toBe('#/schema');
    expect(hrefFor({ page: 'webhooks' })).toBe('#/webhooks');
    expect(hrefFor({ page: 'history', runId: 'run 1' })).toBe('#/history/run%201');
  });

  it('addresses the fleet and one target, whose id may hold a slash', () => {
    expect(parseHash('#/fleet')).toEqual({ page: 'fleet', targetId: null });
    expect(hrefFor({ page: 'fleet', targetId: 'eu/acme' })).toBe('#/fleet/eu%2Facme');
    expect(parseHash('#/fleet/eu%2Facme')).toEqual({ page: 'fleet', targetId: 'eu/acme' });
    expect(hrefFor({ page: 'fleet', targetId: null })).toBe('#/fleet');
  });
});
