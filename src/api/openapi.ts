/**
 * The read API's OpenAPI 3.1 document, generated from the zod schemas that
 * validate the requests and type the answers (schemas.ts), served at
 * GET /api/v1/openapi.json.
 */
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem.js';
import { RUN_ID, RUNS_QUERY, RunDetailBody, RunsBody } from './runs-schemas.js';
import { ActionsBody, FreshnessBody, IndexBody, MetricsBody, PrioritiesBody, ProblemBody, QUERIES } from './schemas.js';

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Json;
  delete json.$schema;
  return json;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const header = (schema: Json, description: string, required = false): Json => ({ description, required, schema });

const HEADERS = {
  ETag: header(
    { type: 'string', pattern: '^W/".+"$' },
    'Weak tag of the answer (the same in every Content-Encoding); send it back as If-None-Match for a 304.',
    true,
  ),
  CacheControl: header({ type: 'string' }, '`private, no-cache`: a client may keep the answer but must revalidate it.', true),
  Vary: header({ type: 'string' }, 'The request headers the answer depends on.', true),
  ContentEncoding: header(
    { type: 'string', enum: ['br', 'gzip'] },
    'Set when the body (over 1 KB) was compressed as Accept-Encoding asked.',
  ),
  XCache: header(
    { type: 'string', enum: ['hit', 'miss', 'coalesced', 'stale', 'bypass'] },
    'Where the answer came from: hit (Redis), miss (this request queried the warehouse), coalesced (a ' +
      'concurrent request queried it), stale (the warehouse failed; an older answer), bypass (not ' +
      'cached: cache off or Redis unreachable).',
    true,
  ),
  Warning: header({ type: 'string' }, '`110 - "Response is Stale"` with X-Cache: stale.'),
  RetryAfter: header({ type: 'string', pattern: '^[0-9]+$' }, 'Seconds to wait before trying again.', true),
  WWWAuthenticate: header({ type: 'string' }, 'The credentials expected.', true),
} as const;

const problemResponse = (description: string, headers: Json = {}): Json => ({
  description,
  headers,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});

const ERRORS: Json = {
  BadParameter: problemResponse('A query parameter is bad (named in `parameter`); nothing was read.'),
  Unauthenticated: problemResponse('No valid credentials.', { 'WWW-Authenticate': HEADERS.WWWAuthenticate }),
  NotAcceptable: problemResponse('The Accept header allows neither application/json nor application/problem+json.'),
  RateLimited: problemResponse("The client's rate limit is used up.", { 'Retry-After': HEADERS.RetryAfter }),
  Internal: problemResponse('A bug (logged with its stack).'),
  Unavailable: problemResponse('The warehouse could not answer and no earlier answer is cached, or too many uncached reads are running.', {
    'Retry-After': HEADERS.RetryAfter,
  }),
  Problem: problemResponse('Any other error (wrong method: 405 with Allow; unknown path: 404).'),
};
const ERROR_REFS: Json = {
  '400': { $ref: '#/components/responses/BadParameter' },
  '401': { $ref: '#/components/responses/Unauthenticated' },
  '406': { $ref: '#/components/responses/NotAcceptable' },
  '429': { $ref: '#/components/responses/RateLimited' },
  '500': { $ref: '#/components/responses/Internal' },
  '503': { $ref: '#/components/responses/Unavailable' },
  default: { $ref: '#/components/responses/Problem' },
};

/** Query parameters from an endpoint's query schema: one `in: query` parameter per property, all optional. */
function parameters(schema: z.ZodType): Json[] {
  const properties = (jsonSchema(schema, 'input').properties ?? {}) as Record<string, Json>;
  return Object.entries(properties).map(([name, { description, examples, ...rest }]) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema: { ...rest, ...(examples !== undefined ? { examples } : {}) },
  }));
}

function pathParameter(name: string, schema: z.ZodType): Json {
  const { description, ...rest } = jsonSchema(schema, 'input');
  return { name, in: 'path', required: true, description, schema: rest };
}

function operation(id: string, summary: string, body: string, query: z.ZodType, cached: boolean): Json {
  return {
    get: {
      operationId: id,
      summary,
      parameters: parameters(query),
      responses: {
        '200': {
          description: 'The answer.',
          headers: {
            ETag: HEADERS.ETag,
            'Cache-Control': HEADERS.CacheControl,
            Vary: HEADERS.Vary,
            'Content-Encoding': HEADERS.ContentEncoding,
            ...(cached ? { 'X-Cache': HEADERS.XCache, Warning: HEADERS.Warning } : {}),
          },
          content: { 'application/json': { schema: ref(body) } },
        },
        '304': { description: 'Not modified: the If-None-Match tag is current.', headers: { ETag: HEADERS.ETag } },
        ...ERROR_REFS,
      },
    },
  };
}

/** The operators' run endpoints: the board's credentials, never cached (`Cache-Control: no-store`). */
function runsOperation(id: string, summary: string, body: string, parameters: Json[], notFound: boolean): Json {
  const noStore = header({ type: 'string', const: 'no-store' }, 'Run records change while a run is active: never stored.', true);
  return {
    get: {
      operationId: id,
      summary,
      tags: ['operators'],
      security: [{ board: [] }, { boardToken: [] }],
      parameters,
      responses: {
        '200': {
          description: 'The answer.',
          headers: { 'Cache-Control': noStore },
          content: { 'application/json': { schema: ref(body) } },
        },
        '400': { $ref: '#/components/responses/BadParameter' },
        '401': problemResponse(
          "No valid board credentials (BOARD_USER/BOARD_PASSWORD or BOARD_TOKEN; the read API's keys are not accepted).",
          {
            'WWW-Authenticate': HEADERS.WWWAuthenticate,
          },
        ),
        ...(notFound ? { '404': problemResponse('The run is not recorded, or older than RUNS_KEEP_DAYS.') } : {}),
        '500': { $ref: '#/components/responses/Internal' },
        default: { $ref: '#/components/responses/Problem' },
      },
    },
  };
}

export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'crm-materializer read API',
      version,
      description:
        'The materialized CRM tables for the dashboard backend: cached reads invalidated by each refresh. ' +
        'Errors are RFC 9457 problem details. docs/api.md in the repository describes caching, paging, ' +
        'compression and what happens while Redis is away.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/metrics': operation(
        'getMetrics',
        'Rows, totals and non-conforming rates of crm_metrics_daily for a date range (at most 366 days).',
        'MetricsBody',
        QUERIES.metrics,
        true,
      ),
      '/priorities': operation(
        'getPriorities',
        'The open actions of one day over the eight priority categories.',
        'PrioritiesBody',
        QUERIES.priorities,
        true,
      ),
      '/actions': operation('getActions', "One page of a day's open actions, in priority order.", 'ActionsBody', QUERIES.actions, true),
      '/freshness': operation(
        'getFreshness',
        'Per table: last refresh, lag, validation status.',
        'FreshnessBody',
        QUERIES.freshness,
        false,
      ),
      '/runs': runsOperation(
        'listRuns',
        'The latest runs, newest planned first, and whether the schedule is paused.',
        'RunsBody',
        parameters(RUNS_QUERY),
        false,
      ),
      '/runs/{id}': runsOperation(
        'getRun',
        'One run with its table tasks (outcome, attempts, rows, error).',
        'RunDetailBody',
        [pathParameter('id', RUN_ID)],
        true,
      ),
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document (no credentials needed).',
          security: [],
          responses: {
            '200': {
              description: 'The OpenAPI document.',
              headers: { ETag: HEADERS.ETag, Vary: HEADERS.Vary, 'Content-Encoding': HEADERS.ContentEncoding },
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '304': { description: 'Not modified.', headers: { ETag: HEADERS.ETag } },
            default: { $ref: '#/components/responses/Problem' },
          },
        },
      },
      '/': {
        get: {
          operationId: 'getIndex',
          summary: 'Where things are: the endpoints, this document, the board, the metrics (no credentials needed).',
          security: [],
          responses: {
            '200': {
              description: 'The index.',
              headers: { ETag: HEADERS.ETag, Vary: HEADERS.Vary, 'Content-Encoding': HEADERS.ContentEncoding },
              content: { 'application/json': { schema: ref('Index') } },
            },
            '304': { description: 'Not modified.', headers: { ETag: HEADERS.ETag } },
            default: { $ref: '#/components/responses/Problem' },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key of API_KEYS.' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key of API_KEYS, or a JWT signed by a key of the configured JWKS.' },
        board: { type: 'http', scheme: 'basic', description: "The board's operator: BOARD_USER and BOARD_PASSWORD (the runs endpoints)." },
        boardToken: { type: 'http', scheme: 'bearer', description: "The board's BOARD_TOKEN (the runs endpoints)." },
      },
      schemas: {
        MetricsBody: jsonSchema(MetricsBody, 'output'),
        PrioritiesBody: jsonSchema(PrioritiesBody, 'output'),
        ActionsBody: jsonSchema(ActionsBody, 'output'),
        FreshnessBody: jsonSchema(FreshnessBody, 'output'),
        Problem: {
          ...jsonSchema(ProblemBody, 'output'),
          properties: {
            ...(jsonSchema(ProblemBody, 'output').properties as Json),
            status: { type: 'integer', enum: Object.keys(PROBLEM_TYPES).map(Number) },
          },
        },
        Index: jsonSchema(IndexBody, 'output'),
        RunsBody: jsonSchema(RunsBody, 'output'),
        RunDetailBody: jsonSchema(RunDetailBody, 'output'),
      },
      responses: ERRORS,
    },
  };
}
