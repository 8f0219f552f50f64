import { describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract';
import { dispatch, parseInput } from '../../shared/dispatch';
import { JobdeckError } from '../../shared/errors';
import { JOB_DEFAULTS } from '../../shared/model/job';

const create = (extra: Record<string, unknown>) => ({ name: 'j', script: 'true', ...extra });

function fieldError(fn: () => unknown): JobdeckError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JobdeckError) return err;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('job schemas', () => {
  it('accepts intervals of 1 to 300 seconds and defaults to 60', () => {
    expect(JOB_DEFAULTS.schedule).toEqual({ kind: 'interval', seconds: 60 });
    for (const seconds of [1, 300]) {
      expect(parseInput('jobs.create', create({ schedule: { kind: 'interval', seconds } })).schedule).toEqual({ kind: 'interval', seconds });
    }
    for (const [seconds, msg] of [
      [0, 'at least 1'],
      [301, 'at most 300'],
      [1.5, 'whole number'],
    ] as const) {
      const err = fieldError(() => parseInput('jobs.create', create({ schedule: { kind: 'interval', seconds } })));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.field).toBe('schedule.seconds');
      expect(err.message).toContain(msg);
    }
  });

  it('names the field at fault', () => {
    expect(fieldError(() => parseInput('jobs.create', { script: 'x' })).field).toBe('name');
    expect(fieldError(() => parseInput('jobs.create', create({ name: 'x'.repeat(101) }))).message).toMatch(/at most 100/);
    expect(fieldError(() => parseInput('jobs.create', create({ name: '   ' }))).field).toBe('name');
    expect(fieldError(() => parseInput('jobs.create', create({ bogus: 1 }))).field).toBe('bogus');
    expect(fieldError(() => parseInput('jobs.create', create({ runtime: 'ruby' }))).field).toBe('runtime');
    expect(fieldError(() => parseInput('jobs.create', create({ schedule: { kind: 'cron', expression: 'nope', timezone: 'UTC' } }))).field).toBe(
      'schedule.expression',
    );
    expect(fieldError(() => parseInput('jobs.create', create({ schedule: { kind: 'cron', expression: '* * * * *', timezone: 'Nowhere/City' } }))).field).toBe(
      'schedule.timezone',
    );
    expect(fieldError(() => parseInput('jobs.create', create({ schedule: { kind: 'weekly' } }))).field).toBe('schedule.kind');
    expect(fieldError(() => parseInput('jobs.create', create({ params: [{ name: 'mode', type: 'choice' }] }))).field).toBe('params.0.choices');
    expect(fieldError(() => parseInput('runs.list', { from: 'yesterday' })).field).toBe('from');
    expect(fieldError(() => parseInput('runs.get', { id: -1 })).field).toBe('id');
  });

  it('accepts custom runtimes that place the script', () => {
    expect(parseInput('jobs.create', create({ runtime: '/usr/bin/env ruby {script}' })).runtime).toBe('/usr/bin/env ruby {script}');
  });

  it('dispatch answers with result objects and checks roles', async () => {
    const handlers = { 'auth.whoami': async (_: unknown, ctx: { actor: string; role: string }) => ({ name: ctx.actor, role: ctx.role }) } as never;
    expect(await dispatch(handlers, 'auth.whoami', {}, { actor: 'v', role: 'viewer' })).toEqual({ ok: true, value: { name: 'v', role: 'viewer' } });
    const forbidden = await dispatch(handlers, 'jobs.create', create({}), { actor: 'v', role: 'admin' });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await dispatch(handlers, 'nope.nothing', {}, { actor: 'v', role: 'superadmin' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('gives every method a role, an HTTP binding and schemas', () => {
    for (const [name, spec] of Object.entries(contract)) {
      expect(spec.http.path.startsWith('/api/'), name).toBe(true);
      expect(spec.input, name).toBeDefined();
      expect(spec.output, name).toBeDefined();
    }
  });
});
