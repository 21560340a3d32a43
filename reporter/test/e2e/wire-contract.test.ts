import {
  AttemptRecord,
  DecisionResponse,
  ErrorResponse,
  FailedTests,
  Health,
  MergedReportXml,
  NewTryResponse,
  Run,
  RunDetail,
  RunsPage,
  TestsPage,
  UploadResponse,
} from '@dozhim/core/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { sampleRun } from '../../../core/test/wire-samples.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { call, json, junitUrl, type Reply, runPath, xml } from '../helpers/http.js';
import { junitXml } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// The reporter's real answers, endpoint by endpoint, against the wire contract the CLI parses them
// with (@dozhim/core/wire). A drift either way fails here: a field the schema wants and the reporter
// does not send fails the parse; a field the reporter sends and the schema does not know would be
// stripped by it, so the parsed value must equal the answer exactly.

let server: Reporter;
let base: string;
const tmp = tempDir();
/** `METHOD /path/{param}` of every answer checked, to compare with the OpenAPI document's paths. */
const checked = new Set<string>();

beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/wire.sqlite`);
  base = server.url;
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  tmp.cleanup();
});

/** The answer is exactly a value of `schema`: nothing missing, nothing extra, nothing of another type. */
function conforms(schema: ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`not the contract: ${parsed.error.message}\n${JSON.stringify(body)}`);
  expect(parsed.data, 'the answer has fields the contract does not know').toEqual(body);
}

function expectAnswer(route: string, reply: Reply, status: number, schema: ZodType): void {
  expect(reply.status, `${route}: ${reply.text}`).toBe(status);
  conforms(schema, reply.body);
  checked.add(route);
}

const RUN = '/api/v1/runs/{runId}';
const ATTEMPT = `${RUN}/attempts/{attempt}`;

describe('every answer of the reporter is the wire contract', () => {
  it('answers of a run written as `dozhim` writes it, and read back', async () => {
    const id = 'wire/contract-1';
    const run = runPath(base, id);
    expectAnswer(`GET /healthz`, await call(`${base}/healthz`), 200, Health);
    expectAnswer(
      `PUT ${RUN}`,
      await call(run, json('PUT', { project: 'p', branch: 'main', labels: { os: 'linux' } })),
      201,
      Run,
    );
    expectAnswer(`PUT ${RUN}`, await call(run, json('PUT', { commit: 'abc' })), 200, Run);
    const fresh = await call(`${run}/tries`, { method: 'POST' });
    expectAnswer(`POST ${RUN}/tries`, fresh, 200, NewTryResponse);
    const started = '2026-01-01T00:00:00.000Z';
    expectAnswer(
      `PATCH ${ATTEMPT}`,
      await call(
        `${run}/attempts/1?try=${fresh.body.run.try}`,
        json('PATCH', { threads: 4, startedAt: started, shardTotal: 2 }),
      ),
      200,
      AttemptRecord,
    );
    const shard1 = junitXml([
      { classname: 'a.A', name: 'ok', status: 'passed' },
      { classname: 'a.A', name: 'broken', status: 'failed' },
    ]);
    expectAnswer(
      `POST ${ATTEMPT}/junit`,
      await call(junitUrl(base, id, 1, '1/2'), xml(shard1)),
      200,
      UploadResponse,
    );
    const results = [
      { classname: 'b.B', name: 'skip', status: 'skipped' },
      // In-run retry evidence: the row must carry it back.
      {
        classname: 'b.B',
        name: 'retried',
        status: 'passed',
        retries: [{ kind: 'flakyFailure', message: 'timeout', durationMs: 3 }],
      },
    ];
    expectAnswer(
      `POST ${ATTEMPT}/results`,
      await call(`${run}/attempts/1/results?shard=2%2F2&replace=true`, json('POST', { results })),
      200,
      UploadResponse,
    );
    const decision = { action: 'retry', reason: 'failures', line: 'RETRY - 1 failed test' };
    expectAnswer(
      `PATCH ${ATTEMPT}`,
      await call(`${run}/attempts/1`, json('PATCH', { exitCode: 1, finishedAt: started, decision })),
      200,
      AttemptRecord,
    );
    expectAnswer(
      `PATCH ${ATTEMPT}`,
      await call(`${run}/attempts/2`, json('PATCH', { threads: 2, selectedCount: 1 })),
      200,
      AttemptRecord,
    );
    const rerun = junitXml([{ classname: 'a.A', name: 'broken', status: 'passed' }]);
    expectAnswer(`POST ${ATTEMPT}/junit`, await call(junitUrl(base, id, 2), xml(rerun)), 200, UploadResponse);

    const detail = await call(run);
    expectAnswer(`GET ${RUN}`, detail, 200, RunDetail);
    expect(detail.body.attempts.map((a: { selectedCount: number | null }) => a.selectedCount)).toEqual([
      null,
      1,
    ]);
    // Both ways of listing: one attempt's pages straight from SQL, and the current state (read worker).
    const page = await call(`${run}/tests?attempt=1&limit=2`);
    expectAnswer(`GET ${RUN}/tests`, page, 200, TestsPage);
    expect(page.body.nextCursor).not.toBeNull();
    const next = await call(`${run}/tests?attempt=1&limit=2&cursor=${page.body.nextCursor}`);
    expectAnswer(`GET ${RUN}/tests`, next, 200, TestsPage);
    const rows = [...page.body.data, ...next.body.data];
    expect(rows.find((r: { name: string }) => r.name === 'retried').retries).toEqual([
      { kind: 'flakyFailure', message: 'timeout', durationMs: 3 },
    ]);
    expectAnswer(`GET ${RUN}/tests`, await call(`${run}/tests?status=flaky`), 200, TestsPage);
    expectAnswer(`GET ${RUN}/tests`, await call(`${run}/tests`), 200, TestsPage);
    expectAnswer(`GET ${RUN}/decision`, await call(`${run}/decision?maxRuns=3`), 200, DecisionResponse);
    expectAnswer(
      `GET /failedTests/{runId}`,
      await call(`${base}/failedTests/${encodeURIComponent(id)}`),
      200,
      FailedTests,
    );
    expectAnswer(`GET /api/v1/runs`, await call(`${base}/api/v1/runs?limit=1`), 200, RunsPage);

    const report = await call(`${run}/report.xml`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/application\/xml/);
    conforms(MergedReportXml, report.text);
    checked.add(`GET ${RUN}/report.xml`);
  });

  it('error answers: each is the contract error the CLI reads its code and message from', async () => {
    const missing = runPath(base, 'wire-no-such-run');
    for (const [route, reply, status, code] of [
      [`GET ${RUN}`, await call(missing), 404, 'run_not_found'],
      [`GET /failedTests/{runId}`, await call(`${base}/failedTests/wire-no-such-run`), 404, 'run_not_found'],
      ['GET (no route)', await call(`${base}/api/v1/nothing-here`), 404, 'not_found'],
      [`PUT ${RUN}`, await call(missing, json('PUT', { nope: 1 })), 400, 'validation_failed'],
      [
        `PATCH ${ATTEMPT}`,
        await call(`${missing}/attempts/1`, json('PATCH', { threads: 0 })),
        400,
        'validation_failed',
      ],
      [
        `POST ${ATTEMPT}/results`,
        await call(`${missing}/attempts/1/results`, xml('<x/>')),
        415,
        'unsupported_media_type',
      ],
    ] as const) {
      expect(reply.status, `${route}: ${reply.text}`).toBe(status);
      conforms(ErrorResponse, reply.body);
      expect(reply.body.error.code, route).toBe(code);
    }
    const empty = runPath(base, 'wire-empty');
    expect((await call(empty, json('PUT', {}))).status).toBe(201);
    const noResults = await call(`${empty}/decision`);
    expect(noResults.status).toBe(409);
    conforms(ErrorResponse, noResults.body);
    // DELETE answers no body when it deletes, and the contract error when the run is unknown.
    const deleted = await call(empty, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await call(empty, { method: 'DELETE' });
    expect(gone.status).toBe(404);
    conforms(ErrorResponse, gone.body);
    expect(gone.body.error.code).toBe('run_not_found');
    checked.add(`DELETE ${RUN}`);
  });

  it('the check above can fail: a missing, an extra or a mistyped field is caught', () => {
    const run = sampleRun();
    expect(() => conforms(Run, run)).not.toThrow();
    const { try: _dropped, ...withoutTry } = run;
    expect(() => conforms(Run, withoutTry)).toThrow(/not the contract/);
    expect(() => conforms(Run, { ...run, retention: 30 })).toThrow(/fields the contract does not know/);
    expect(() => conforms(Run, { ...run, try: '1' })).toThrow(/not the contract/);
    expect(() => conforms(MergedReportXml, '<html><body>proxy</body></html>')).toThrow(/not the contract/);
  });

  it('every path and method of the OpenAPI document had its answer checked here', () => {
    const documented = Object.entries(openApiDocument('test').paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Not wire bodies: the document itself and Prometheus text.
    const notJson = ['GET /api/v1/openapi.json', 'GET /metrics'];
    const missing = documented.filter((r) => !checked.has(r) && !notJson.includes(r));
    expect(missing, 'answers of these endpoints are not checked against the wire contract').toEqual([]);
    expect(documented.length).toBeGreaterThan(10);
  });
});
