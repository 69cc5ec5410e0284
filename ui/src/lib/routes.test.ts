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
    expect(hrefFor({ page: 'schema' })).toBe('#/schema');
    expect(hrefFor({ page: 'history', runId: 'run 1' })).toBe('#/history/run%201');
  });
});
