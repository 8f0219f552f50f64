/** The OpenAPI description of the routes outside the contract: health, session, live events, the seeds' APIs. */
import { SEED_PAGE_DEFAULT, SEED_PAGE_MAX } from './scheduledJobs';

type Json = Record<string, unknown>;

const errorSchema = { $ref: '#/components/schemas/Error' };
const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
const envelopeError = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' } } } });
const json = (description: string, schema: Json) => ({ description, content: { 'application/json': { schema } } });
const isoTime = { type: 'string', format: 'date-time' };
const idParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'integer', minimum: 1 }, description });

const seedRun = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    jobId: { type: 'integer' },
    jobName: { type: 'string' },
    status: { type: 'string', enum: ['IN_PROGRESS', 'SUCCEEDED', 'FAILED'] },
    jobdeckStatus: { type: 'string', enum: ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELLED'] },
    failure: { type: ['string', 'null'] },
    args: { type: 'string' },
    runBy: { type: 'string', description: 'who executed it' },
    user: { type: 'string' },
    trigger: { type: 'string' },
    queuedAt: isoTime,
    startedAt: { ...isoTime, type: ['string', 'null'] },
    finishedAt: { ...isoTime, type: ['string', 'null'] },
    exitCode: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    logUrl: { type: 'string' },
    resultFile: { type: ['string', 'null'] },
    resultFileUrl: { type: 'string' },
  },
};

export function extraPaths(): Record<string, Json> {
  const seedJobId = idParam('jobId', 'scheduled job id (the job id)');
  return {
    '/api/health': {
      get: {
        operationId: 'health',
        summary: 'Is the server up, and is its scheduler running (public)',
        security: [],
        responses: {
          '200': json('Up', { type: 'object', properties: { status: { const: 'ok' }, version: { type: 'string' }, scheduler: { enum: ['running', 'paused', 'off'] } } }),
          '400': error('The request could not be read'),
          '503': error('Shutting down'),
        },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document (public)',
        security: [],
        responses: { '200': json('The document', { type: 'object' }), '400': error('The request could not be read') },
      },
    },
    '/api/session': {
      post: {
        operationId: 'session.start',
        summary: 'Sign the web console in: trade an API token for a session cookie (HttpOnly, SameSite=Strict)',
        security: [],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } } } },
        responses: {
          '200': json('Signed in; Set-Cookie carries the session id', { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, expiresAt: isoTime } }),
          '400': error('No token given'),
          '401': error('The token is not valid'),
          '403': error('A sign-in from a page of another origin'),
          '429': error('Too many wrong tokens from this address'),
        },
      },
      delete: {
        operationId: 'session.end',
        summary: 'Sign out: the session ends on the server and its cookie is cleared',
        responses: { '200': json('Signed out', { type: 'object', properties: { ok: { const: true } } }), '403': error('A sign-out from a page of another origin') },
      },
    },
    '/api/events': {
      get: {
        operationId: 'events',
        summary: 'Live events over WebSocket (upgrade). Send {"type":"subscribe","id","sub":{runId,afterSeq}|{jobId}|{}}, {"type":"unsubscribe","id"}, {"type":"ping"}',
        description:
          'Answers {"type":"event","id","event"}, {"type":"subscribed","id"}, {"type":"error","id","error"}. Close codes: 4401 the token or session stopped working, 4008 too slow (reconnect and resume with afterSeq), 1001 shutting down.',
        responses: {
          '101': { description: 'Switching to the WebSocket protocol (a request with Upgrade: websocket)' },
          '200': json('Without an Upgrade header: how to use the route', { type: 'object' }),
          '401': error('No valid token or session'),
          '403': error('A cookie-signed upgrade from a page of another origin'),
          '429': error('Too many live-event connections for this token or address'),
        },
      },
    },
    '/api/v1/backgroundtasks': {
      get: {
        operationId: 'seed.backgroundtasks.list',
        tags: ['seed'],
        summary: 'Every task (job not archived) as {taskGroup, taskName, description}, in the envelope',
        responses: { '200': envelopeError('The tasks (result.response)'), '401': envelopeError('UNAUTHORIZED'), '429': envelopeError('RATE_LIMITED') },
      },
    },
    '/api/v1/backgroundtasks/trigger/{taskName}': {
      post: {
        operationId: 'seed.backgroundtasks.trigger',
        tags: ['seed'],
        summary: 'Run a task now (admin); an empty body, whatever its content type',
        parameters: [{ name: 'taskName', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': envelopeError('Queued: result.response is "SUCCESS"'),
          '400': envelopeError('JOB_ALREADY_RUNNING, or bad input'),
          '401': envelopeError('Not signed in, or not an admin'),
          '404': envelopeError('No such task'),
          '429': envelopeError('RATE_LIMITED'),
        },
      },
    },
    '/scheduled-jobs/{jobId}/runs': {
      post: {
        operationId: 'seed.scheduledJobs.queue',
        tags: ['seed'],
        summary: 'Queue a job with space-separated args (admin); answers the job with the queued run',
        parameters: [seedJobId],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { args: { type: 'string' } } } } } },
        responses: {
          '200': json('The job that was queued, with queuedRunId and queuedRun', { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, queuedRunId: { type: 'integer' }, queuedRun: seedRun } }),
          '400': error('Bad input'),
          '401': error('Not signed in'),
          '403': error('Not an admin'),
          '404': error('No such job'),
          '409': error('JOB_ALREADY_RUNNING, JOB_ALREADY_QUEUED or JOB_ARCHIVED'),
        },
      },
      get: {
        operationId: 'seed.scheduledJobs.runs',
        tags: ['seed'],
        summary: `Runs of a job, newest first, ${SEED_PAGE_DEFAULT} at a time (maxResults up to ${SEED_PAGE_MAX}); X-Total-Count and Link rel="next" tell of more`,
        parameters: [
          seedJobId,
          { name: 'fromDate', in: 'query', schema: { type: 'string', pattern: '^\\d{8}(T\\d{4}(\\d{2})?)?$' }, description: 'created at or after: 20220221 or 20220221T061500' },
          { name: 'toDate', in: 'query', schema: { type: 'string', pattern: '^\\d{8}(T\\d{4}(\\d{2})?)?$' }, description: 'created before (a bare date includes that whole day)' },
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['IN_PROGRESS', 'SUCCEEDED', 'FAILED'] } },
          { name: 'startAt', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'maxResults', in: 'query', schema: { type: 'integer', minimum: 1, maximum: SEED_PAGE_MAX } },
        ],
        responses: {
          '200': {
            ...json('The runs', { type: 'array', items: seedRun }),
            headers: { 'X-Total-Count': { schema: { type: 'integer' } }, Link: { schema: { type: 'string' }, description: 'rel="next" when there are more' } },
          },
          '400': error('Bad input'),
          '401': error('Not signed in'),
          '404': error('No such job'),
        },
      },
    },
    '/scheduled-jobs/{jobId}/runs/{runId}/result-file': {
      get: {
        operationId: 'seed.scheduledJobs.resultFile',
        tags: ['seed'],
        summary: "A run's result file (admin): the primary one (::result), else the only one, else the first by name",
        parameters: [seedJobId, idParam('runId', 'the run id')],
        responses: {
          '200': { description: 'The file, streamed', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          '401': error('Not signed in'),
          '403': error('Not an admin'),
          '404': error('No such run of this job, or it made no file'),
        },
      },
    },
  };
}
