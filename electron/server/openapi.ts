/**
 * The OpenAPI document of everything the server answers: every contract
 * call at its HTTP binding (generated from the contract's zod schemas, with
 * the errors each can answer), downloads, health, the console's session,
 * the live-events WebSocket and the seeds' routes (openapiRoutes.ts). Linted
 * with Redocly's recommended rules in the tests, so a generated client works.
 */
import * as z from 'zod';
import { contract, METHOD_NAMES, type MethodName, type MethodSpec } from '../../shared/contract';
import { ERROR_CODES, HTTP_STATUS } from '../../shared/errors';
import { extraPaths } from './openapiRoutes';

type Json = Record<string, unknown>;

/** Schemas used by reference (recursive ones: a workflow's tasks), hoisted into the document's components. */
const sharedSchemas: Record<string, Json> = {};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _s, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  if (!$defs) return rest;
  // Refs point at the body's own $defs; inside the document they live under components.schemas.
  const moved = JSON.parse(JSON.stringify({ rest, $defs }).replaceAll('"#/$defs/', '"#/components/schemas/')) as { rest: Json; $defs: Record<string, Json> };
  Object.assign(sharedSchemas, moved.$defs);
  return moved.rest;
};

export const errorRef = { $ref: '#/components/schemas/Error' };

/** An error answer of a status, in the API's {code, message, field} shape. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });

/** The errors every call can answer, and those that depend on what it does. */
function errorsOf(name: MethodName, spec: MethodSpec, hasPath: boolean, hasBody: boolean): Json {
  const out: Json = {
    '400': errorResponse('VALIDATION_FAILED: the input is wrong (the field is named)'),
    '401': errorResponse('UNAUTHORIZED: no valid token or session'),
    '429': errorResponse('RATE_LIMITED: too many wrong tokens from this address'),
    '503': errorResponse('UNAVAILABLE: the engine is shutting down, or its store is damaged'),
  };
  if (spec.role !== 'viewer') out['403'] = errorResponse(`FORBIDDEN: needs the ${spec.role} role`);
  if (hasPath || name === 'runs.trigger') out['404'] = errorResponse('NOT_FOUND: no such job, run, user, token or lock');
  if (hasBody) out['413'] = errorResponse('PAYLOAD_TOO_LARGE: the body is larger than the server accepts');
  if (spec.http.method !== 'GET') out['409'] = errorResponse('A conflict: NAME_TAKEN, JOB_ALREADY_RUNNING, JOB_ALREADY_QUEUED, JOB_ARCHIVED, LOCK_HELD, CONFLICT or INVALID_STATE');
  return out;
}

/** The success answer: JSON, or a file for downloads. */
function successOf(name: MethodName, spec: MethodSpec): Json {
  const status = name === 'jobs.create' || name === 'users.add' ? '201' : '200';
  if (spec.result === 'download') {
    const type = name === 'runs.logExport' ? 'text/plain' : 'application/octet-stream';
    return {
      [status]: {
        description: 'The file, streamed (Content-Disposition names it; X-Checksum-SHA256 gives its hash when known)',
        headers: { 'X-Checksum-SHA256': { description: 'SHA-256 of the file (result files)', schema: { type: 'string' } } },
        content: { [type]: { schema: { type: 'string', format: 'binary' } } },
      },
    };
  }
  return { [status]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(spec.output, 'output') } } } };
}

function operation(name: MethodName): { path: string; method: string; op: Json } {
  const spec = contract[name] as MethodSpec;
  const wildcard = spec.http.path.endsWith('/*');
  const template = wildcard ? `${spec.http.path.slice(0, -2)}/:name` : spec.http.path;
  const pathParams = [...template.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  const path = template.replace(/:([A-Za-z]+)/g, '{$1}');
  const input = jsonSchema(spec.input, 'input') as { properties?: Record<string, Json>; required?: string[] };
  const props = input.properties ?? {};
  const parameters: Json[] = pathParams.map((p) => ({
    name: p,
    in: 'path',
    required: true,
    schema: props[p] ?? { type: 'string' },
    ...(wildcard && p === 'name' ? { description: 'the file path inside the output folder; its segments escaped, "/" kept' } : {}),
  }));
  const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !pathParams.includes(k)));
  const bodyRequired = (input.required ?? []).filter((r) => !pathParams.includes(r));
  const hasBody = spec.http.method !== 'GET' && spec.http.method !== 'DELETE';
  const op: Json = {
    operationId: name,
    summary: spec.summary,
    description: `Needs the ${spec.role} role.`,
    tags: [name.split('.')[0]],
    responses: { ...successOf(name, spec), ...errorsOf(name, spec, pathParams.length > 0, hasBody) },
  };
  if (hasBody) {
    op.requestBody = {
      required: bodyRequired.length > 0,
      content: { 'application/json': { schema: { ...input, properties: rest, required: bodyRequired.length ? bodyRequired : undefined } } },
    };
  } else {
    for (const [k, schema] of Object.entries(rest)) {
      parameters.push({ name: k, in: 'query', required: (input.required ?? []).includes(k), schema, explode: false, style: 'form' });
    }
  }
  if (parameters.length) op.parameters = parameters;
  return { path, method: spec.http.method.toLowerCase(), op };
}

export function openApiDocument(version: string) {
  const paths: Record<string, Json> = {};
  for (const name of METHOD_NAMES) {
    const { path, method, op } = operation(name);
    paths[path] = { ...(paths[path] ?? {}), [method]: op };
  }
  for (const [path, ops] of Object.entries(extraPaths())) paths[path] = { ...(paths[path] ?? {}), ...ops };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobdeck API',
      version,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Every call of the Jobdeck contract, the console session, live events and the APIs of the systems Jobdeck replaces. ' +
        'Send an API token as "Authorization: Bearer TOKEN". Errors are {code, message, field}; the background-tasks routes answer in their envelope. ' +
        `HTTP status per error code: ${JSON.stringify(HTTP_STATUS)}.`,
    },
    servers: [{ url: '/', description: 'this server' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (jobdeck users add / tokens create)' },
        session: { type: 'apiKey', in: 'cookie', name: 'jobdeck_session', description: "the web console's session (POST /api/session)" },
      },
      schemas: {
        ...sharedSchemas,
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: [...ERROR_CODES] },
            message: { type: 'string' },
            field: { type: 'string', description: 'dotted path of the input field at fault' },
          },
        },
        Envelope: {
          type: 'object',
          description: "The background-tasks seed's answer",
          properties: {
            id: { type: 'string' },
            ver: { type: 'string' },
            ts: { type: 'string' },
            params: {
              type: 'object',
              properties: {
                resmsgid: { type: ['string', 'null'] },
                msgid: { type: 'string' },
                err: { type: ['string', 'null'] },
                status: { enum: ['success', 'failure'] },
                errmsg: { type: ['string', 'null'] },
              },
            },
            responseCode: { type: 'string' },
            result: { type: 'object' },
          },
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
