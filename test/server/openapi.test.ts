/**
 * The OpenAPI document: lint-clean under Redocly's recommended rules,
 * complete (every route the server has is in it), and good enough to drive
 * the API from it alone, as a generated client would.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { body, startTestServer } from '../helpers/server';

type Op = { operationId: string; parameters?: { name: string; in: string }[]; requestBody?: { required?: boolean }; responses: Record<string, unknown> };

/** Every [method, url pattern] the server routes (it records them as they are added). */
const routesOf = (app: FastifyInstance): [string, string][] => (app as unknown as { routeList(): [string, string][] }).routeList();

describe('the OpenAPI document', () => {
  it('passes the recommended lint rules with no problem', async () => {
    const t = await startTestServer();
    const doc = await body(await t.fetch('/api/openapi.json', { role: null }));
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: '/openapi.json', config });
    expect(problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it('describes every route the server answers, with error answers, date-time formats and required bodies', async () => {
    const t = await startTestServer({ server: { rendererDir: null } });
    const doc = await body(await t.fetch('/api/openapi.json', { role: null }));
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`);
    }
    const served = new Set<string>();
    for (const [method, url] of routesOf(t.server.app)) {
      // HEAD twins of GET routes, and the console's page at / (HTML, not API).
      if (method === 'HEAD' || method === 'OPTIONS' || url === '/') continue;
      served.add(`${method} ${url.replace(/:[A-Za-z]+/g, '{}').replace(/\/\*$/, '/{}')}`);
    }
    const missing = [...served].filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    const ops = Object.values(doc.paths as Record<string, Record<string, Op>>).flatMap((o) => Object.values(o));
    for (const op of ops) expect(Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)), op.operationId).toBe(true);
    expect(doc.paths['/api/jobs'].post.requestBody.required).toBe(true);
    const run = doc.paths['/api/runs/{id}'].get.responses['200'].content['application/json'].schema;
    expect(run.properties.queuedAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(doc.servers).toEqual([{ url: '/', description: 'this server' }]);
  });

  it('is enough to create a job, run it and fetch its file, reading only the document', async () => {
    const t = await startTestServer();
    const doc = await body(await t.fetch('/api/openapi.json', { role: null }));
    const byId = new Map<string, { path: string; method: string; op: Op }>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const [method, op] of Object.entries(ops)) byId.set(op.operationId, { path, method, op });
    }
    /** A client built from the document: path and query parameters by name, the rest as the JSON body. */
    const call = async (operationId: string, args: Record<string, unknown>) => {
      const { path, method, op } = byId.get(operationId)!;
      const rest = { ...args };
      let url = path;
      const query = new URLSearchParams();
      for (const p of op.parameters ?? []) {
        if (!(p.name in rest)) continue;
        const value = String(rest[p.name]);
        delete rest[p.name];
        if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(value));
        else query.set(p.name, value);
      }
      const hasBody = op.requestBody !== undefined;
      const res = await t.fetch(`${url}${query.size ? `?${query}` : ''}`, {
        method: method.toUpperCase(),
        ...(hasBody ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(rest) } : {}),
      });
      expect(Object.keys(op.responses), `${operationId} answered ${res.status}`).toContain(String(res.status));
      return res;
    };
    const job: any = await (await call('jobs.create', { name: 'from the doc', script: 'echo hi > "$JOBDECK_OUTPUT_DIR/out.txt"', schedule: { kind: 'manual' } })).json();
    const run: any = await (await call('runs.trigger', { jobId: job.id })).json();
    const done: any = await (await call('runs.wait', { id: run.id, timeoutSeconds: 30 })).json();
    expect(done.status).toBe('SUCCEEDED');
    const file = await call('runs.download', { id: run.id, name: 'out.txt' });
    expect(await file.text()).toBe('hi\n');
    const found: any = await (await call('jobs.find', { name: 'from the doc' })).json();
    expect(found.id).toBe(job.id);
    const page: any = await (await call('runs.list', { jobId: job.id, status: 'SUCCEEDED' })).json();
    expect(page.total).toBe(1);
    expect((await call('seed.scheduledJobs.runs', { jobId: job.id })).status).toBe(200);
  });
});
