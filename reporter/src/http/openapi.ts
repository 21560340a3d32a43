import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  AttemptPatchBody,
  AttemptRecord,
  DecisionResponse,
  ErrorResponse,
  FailedTests,
  Health,
  NewTryResponse,
  ResultsBody,
  Run,
  RunDetail,
  RunMetaBody,
  RunsPage,
  TestsPage,
  UploadResponse,
} from '@dozhim/core/wire';
import { z } from 'zod';
import {
  AttemptParams,
  DecisionQuery,
  RunParams,
  RunsQuery,
  ShardQuery,
  TestsQuery,
  WriteQuery,
} from './schemas.js';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = (...codes: number[]): RouteConfig['responses'] =>
  Object.fromEntries(codes.map((c) => [c, json(ErrorResponse, ERROR_TEXT[c] ?? 'Error')]));

const ERROR_TEXT: Record<number, string> = {
  400: 'Validation failed (zod issues in details), unreadable body (JUnit position in details) or field_too_large (a name, classname, suite, file, project, type or id over DOZHIM_MAX_FIELD_BYTES)',
  401: 'Authorization header missing',
  403: 'Token does not grant this access',
  404: 'Unknown run or route',
  409: 'Conflicts with stored state (attempt gap, no results yet)',
  413: 'Body larger than DOZHIM_MAX_BODY (also after gunzip), batch larger than DOZHIM_MAX_BATCH, too_many_testcases (DOZHIM_MAX_TESTCASES), too_many_properties (DOZHIM_MAX_PROPERTIES) or too_many_results (the run would hold more than DOZHIM_MAX_RUN_RESULTS)',
  421: 'host_not_allowed: the Host header is not in DOZHIM_ALLOWED_HOSTS',
  503: 'Retry later (Retry-After): busy (upload slots, details.rule total or per_client), shutting_down, storage_full, storage_readonly, storage_gone, storage_unavailable',
  415: 'Wrong Content-Type or Content-Encoding',
};

const write = [{ bearer: [] }];

function routes(): RouteConfig[] {
  const runPath = '/api/v1/runs/{runId}';
  const attemptPath = `${runPath}/attempts/{attempt}`;
  return [
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness and database check',
      responses: {
        200: json(Health, 'OK'),
        503: json(
          ErrorResponse,
          'db_unavailable: the database file was removed or replaced, is read-only, the disk is full, or SQLite does not answer (details.problem; Retry-After)',
        ),
      },
    },
    {
      method: 'get',
      path: '/failedTests/{runId}',
      summary: 'Legacy: currently failing test ids of a run',
      request: { params: RunParams },
      responses: { 200: json(FailedTests, 'Failing ids, sorted'), ...errors(400, 401, 403, 404, 421) },
    },
    {
      method: 'get',
      path: '/api/v1/runs',
      summary: 'Runs, newest first',
      request: { query: RunsQuery },
      responses: { 200: json(RunsPage, 'A page of runs'), ...errors(400, 401, 403, 421) },
    },
    {
      method: 'put',
      path: runPath,
      summary: 'Create a run or update its metadata (given fields replace stored ones)',
      security: write,
      request: { params: RunParams, body: { content: { 'application/json': { schema: RunMetaBody } } } },
      responses: {
        200: json(Run, 'Updated'),
        201: json(Run, 'Created'),
        ...errors(400, 401, 403, 413, 415, 421, 503),
      },
    },
    {
      method: 'get',
      path: runPath,
      summary: 'A run: metadata, attempts with counts, current failing/flaky tests',
      request: { params: RunParams },
      responses: { 200: json(RunDetail, 'The run'), ...errors(400, 401, 403, 404, 421) },
    },
    {
      method: 'delete',
      path: runPath,
      summary:
        'Delete a run: every try, attempt, shard and result. The id can then be used again from attempt 1',
      security: write,
      request: { params: RunParams },
      responses: {
        204: { description: 'Deleted' },
        ...errors(400, 401, 403, 404, 421, 503),
      },
    },
    {
      method: 'get',
      path: `${runPath}/tests`,
      summary: 'Test records: current state (no attempt) or one attempt',
      request: { params: RunParams, query: TestsQuery },
      responses: { 200: json(TestsPage, 'A page of tests'), ...errors(400, 401, 403, 404, 421) },
    },
    {
      method: 'get',
      path: `${runPath}/decision`,
      summary: 'The retry decision for the run as it stands (core decide())',
      request: { params: RunParams, query: DecisionQuery },
      responses: { 200: json(DecisionResponse, 'Decision'), ...errors(400, 401, 403, 404, 409, 421) },
    },
    {
      method: 'get',
      path: `${runPath}/report.xml`,
      summary: 'Merged JUnit XML of all attempts (flaky tests marked with flakyFailure)',
      request: { params: RunParams },
      responses: {
        200: { description: 'JUnit XML', content: { 'application/xml': { schema: z.string() } } },
        ...errors(400, 401, 403, 404, 421),
      },
    },
    {
      method: 'post',
      path: `${runPath}/tries`,
      summary:
        'Start a new try of the run id: its attempts move to history and every read sees only the new try',
      security: write,
      request: { params: RunParams },
      responses: { 200: json(NewTryResponse, 'The run at its new try'), ...errors(400, 401, 403, 421, 503) },
    },
    {
      method: 'patch',
      path: attemptPath,
      summary: 'Record attempt metadata (creates the attempt)',
      security: write,
      request: {
        params: AttemptParams,
        query: WriteQuery,
        body: { content: { 'application/json': { schema: AttemptPatchBody } } },
      },
      responses: {
        200: json(AttemptRecord, 'The attempt'),
        ...errors(400, 401, 403, 409, 413, 415, 421, 503),
      },
    },
    {
      method: 'post',
      path: `${attemptPath}/junit`,
      summary: 'Upload one shard as JUnit XML (replaces that shard); body may be gzip-encoded',
      security: write,
      request: {
        params: AttemptParams,
        query: ShardQuery,
        body: {
          content: {
            'application/xml': { schema: z.string() },
            'text/xml': { schema: z.string() },
          },
        },
      },
      responses: { 200: json(UploadResponse, 'Stored'), ...errors(400, 401, 403, 409, 413, 415, 421, 503) },
    },
    {
      method: 'post',
      path: `${attemptPath}/results`,
      summary: 'Upsert results (per test id) into one shard as JSON',
      security: write,
      request: {
        params: AttemptParams,
        query: ShardQuery,
        body: { content: { 'application/json': { schema: ResultsBody } } },
      },
      responses: {
        200: json(UploadResponse, 'Stored; counts are those of the shard after the upsert'),
        ...errors(400, 401, 403, 409, 413, 415, 421, 503),
      },
    },
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      responses: {
        200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
      },
    },
  ];
}

/** The OpenAPI 3 document, generated from the same zod schemas that validate the requests (bodies: the wire contract). */
export function openApiDocument(version: string): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'DOZHIM_TOKEN for writes; DOZHIM_READ_TOKEN (or the write token) for reads when set.',
  });
  for (const r of routes()) registry.registerPath(r);
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'dozhim reporter',
      version,
      description: 'Per-run, per-attempt, per-shard test results for CI-level retries.',
    },
  });
}
