/** The OpenAPI document, generated from the contract's zod schemas. */
import { z } from 'zod';
import { contract, METHOD_NAMES } from '../../shared/contract';
import { ERROR_CODES, HTTP_STATUS } from '../../shared/errors';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const name of METHOD_NAMES) {
    const spec = contract[name];
    const pathParams = [...spec.http.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    const path = spec.http.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const input = jsonSchema(spec.input, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    const props = input.properties ?? {};
    const parameters: unknown[] = pathParams.map((p) => ({ name: p, in: 'path', required: true, schema: props[p] ?? { type: 'string' } }));
    const op: Record<string, unknown> = {
      operationId: name,
      summary: spec.summary,
      description: `Needs the ${spec.role} role.`,
      tags: [name.split('.')[0]],
      responses: {
        [name === 'jobs.create' || name === 'users.add' ? '201' : '200']: {
          description: 'OK',
          content: { 'application/json': { schema: jsonSchema(spec.output, 'output') } },
        },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !pathParams.includes(k)));
    if (spec.http.method === 'GET' || spec.http.method === 'DELETE') {
      for (const [k, schema] of Object.entries(rest)) {
        parameters.push({ name: k, in: 'query', required: (input.required ?? []).includes(k), schema, explode: false, style: 'form' });
      }
    } else {
      op.requestBody = {
        required: false,
        content: {
          'application/json': {
            schema: { ...input, properties: rest, required: (input.required ?? []).filter((r) => !pathParams.includes(r)) },
          },
        },
      };
    }
    if (parameters.length) op.parameters = parameters;
    paths[path] = { ...(paths[path] ?? {}), [spec.http.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobdeck API',
      version,
      description:
        'Every call of the Jobdeck contract. Send an API token as "Authorization: Bearer TOKEN". Errors are {code, message, field}. ' +
        'Live events: WebSocket /api/events. Downloads: GET /api/runs/{id}/files/{name} and /api/runs/{id}/log.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: [...ERROR_CODES], description: `HTTP status per code: ${JSON.stringify(HTTP_STATUS)}` },
            message: { type: 'string' },
            field: { type: 'string' },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
