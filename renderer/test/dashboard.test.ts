/** The dashboard's pure parts: routes, estimates of what is left, days from hours, relative times. */
import { describe, expect, it } from 'vitest';
import { estimateEta } from '../src/lib/eta';
import { formatRelative } from '../src/lib/format';
import { hrefOf, parseRoute, type Route } from '../src/stores/routeStore';

describe('routes', () => {
  it('opens on the dashboard, and every screen has an address that leads back to it', () => {
    expect(parseRoute('')).toEqual({ name: 'dashboard' });
    expect(parseRoute('#/')).toEqual({ name: 'dashboard' });
    expect(parseRoute('#/nowhere')).toEqual({ name: 'dashboard' });
    const routes: Route[] = [
      { name: 'dashboard' },
      { name: 'jobs' },
      { name: 'job-new' },
      { name: 'job', id: 7 },
      { name: 'job', id: 7, tab: 'runs' },
      { name: 'job', id: 7, tab: 'script' },
      { name: 'job', id: 7, tab: 'settings' },
      { name: 'job', id: 7, tab: 'audit' },
      { name: 'runs' },
      { name: 'run', id: 9 },
      { name: 'audit' },
      { name: 'notifications' },
    ];
    for (const r of routes) expect(parseRoute(hrefOf(r))).toEqual(r);
    expect(parseRoute('#/jobs/7/overview')).toEqual({ name: 'job', id: 7 });
    expect(parseRoute('#/jobs/7/nonsense')).toEqual({ name: 'dashboard' });
  });
});

describe('estimated time left', () => {
  const start = '2026-12-02T10:00:00Z';
  const at = (s: number) => Date.parse(start) + s * 1000;
  it('follows the run’s own progress when it reports some', () => {
    expect(estimateEta(start, 25, 1000, at(60))).toEqual({ leftMs: 180_000, basis: 'progress' });
  });
  it('falls back to the usual duration, negative when past it', () => {
    expect(estimateEta(start, null, 90_000, at(60))).toEqual({ leftMs: 30_000, basis: 'usual' });
    expect(estimateEta(start, 0, 30_000, at(60))).toEqual({ leftMs: -30_000, basis: 'usual' });
  });
  it('has none before the start or without a basis', () => {
    expect(estimateEta(null, 50, 1000, at(1))).toBeNull();
    expect(estimateEta(start, null, null, at(1))).toBeNull();
  });
});

describe('relative times', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  it('says how far ahead or behind', () => {
    expect(formatRelative('2026-12-02T10:04:00Z', now)).toBe('in 4 min');
    expect(formatRelative('2026-12-02T09:59:48Z', now)).toBe('12 s ago');
    expect(formatRelative('2026-12-02T07:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-12-04T10:00:00Z', now)).toBe('in 2 d');
    expect(formatRelative('2026-12-02T10:00:00.400Z', now)).toBe('now');
  });
});
