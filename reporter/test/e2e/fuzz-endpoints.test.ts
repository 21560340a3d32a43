import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// Property: no request, however malformed, makes the reporter answer 5xx (or drop the
// connection). Every route with hostile ids, queries, media types, encodings and bodies.
// DOZHIM_FUZZ_RUNS scales it (default 2000 in `npm test`, ≈ 20 s on the 2-core VM; 20000 for the long variant).
const RUNS = Number(process.env.DOZHIM_FUZZ_RUNS ?? 2000);
const SEED = process.env.DOZHIM_FUZZ_SEED ? Number(process.env.DOZHIM_FUZZ_SEED) : undefined;

const tmp = tempDir();
let server: Reporter;
beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/fuzz.sqlite`, { DOZHIM_MAX_BODY: '256kb' });
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

const runId = fc.oneof(
  fc.constantFrom('r1', 'build/42', 'a', 'x'.repeat(200), 'x'.repeat(201), '', '..', '%', '%2e%2e', '#try1'),
  fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,20}$/),
  fc.string({ maxLength: 30 }),
);
const attempt = fc.oneof(
  fc.constantFrom('1', '2', '0', '-1', '1000', '1001', '1.5', 'abc', '1e3', '99999999999999999999'),
  fc.integer({ min: 1, max: 4 }).map(String),
);
const enc = (s: string) => fc.constantFrom(encodeURIComponent(s), s.replace(/[?#\s]/g, ''));
const queryValue = fc.oneof(
  fc.constantFrom('failed', 'flaky', 'all', 'true', '1', '10%', 'halve', '8,4,2', '-1', '', 'x'.repeat(300)),
  fc.string({ maxLength: 20 }),
);
const queryKey = fc.constantFrom(
  'shard',
  'try',
  'replace',
  'status',
  'attempt',
  'limit',
  'cursor',
  'maxRuns',
  'maxFailed',
  'stopOnNoProgress',
  'threads',
  'threadsSchedule',
  'minThreads',
  'project',
  'branch',
  'a[b]',
  'token',
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
  .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

const junitLike = fc.oneof(
  fc.constant('<testsuite><testcase classname="C" name="t"><failure message="m"/></testcase></testsuite>'),
  fc.constant('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><testsuite>&b;</testsuite>'),
  fc
    .array(
      fc.record({
        c: fc.string({ maxLength: 10 }),
        n: fc.string({ maxLength: 10 }),
        kind: fc.constantFrom('', '<failure/>', '<error message="e"/>', '<skipped/>', '<flakyFailure/>'),
      }),
      { maxLength: 5 },
    )
    .map(
      (cs) =>
        `<testsuites><testsuite name="s">${cs.map((c) => `<testcase classname="${c.c.replace(/[<&"]/g, '')}" name="${c.n.replace(/[<&"]/g, '')}">${c.kind}</testcase>`).join('')}</testsuite></testsuites>`,
    ),
  fc.string({ maxLength: 200 }),
);
const jsonLike = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .array(
      fc.record(
        {
          id: fc.string({ maxLength: 10 }),
          name: fc.string({ maxLength: 10 }),
          status: fc.constantFrom('passed', 'failed', 'error', 'skipped', 'weird'),
          durationMs: fc.oneof(fc.integer(), fc.double()),
          retries: fc.array(fc.record({ kind: fc.constantFrom('flakyFailure', 'rerunError', 'x') }), {
            maxLength: 2,
          }),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 5 },
    )
    .map((results) => JSON.stringify({ results })),
  fc
    .record(
      {
        threads: fc.oneof(fc.integer(), fc.string()),
        selectedCount: fc.integer(),
        startedAt: fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday', ''),
        exitCode: fc.integer(),
        shardTotal: fc.integer({ min: -2, max: 5 }),
        decision: fc.record({ action: fc.string(), line: fc.string() }, { requiredKeys: [] }),
        project: fc.string(),
        labels: fc.dictionary(fc.string(), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 100 }),
);

interface Req {
  method: string;
  path: string;
  contentType?: string | undefined;
  gzip: boolean;
  body?: string | undefined;
}

const request: fc.Arbitrary<Req> = fc
  .record({
    run: runId.chain(enc),
    attempt,
    query,
    route: fc.constantFrom(
      'GET /healthz',
      'GET /metrics',
      'GET /api/v1/openapi.json',
      'GET /api/v1/runs',
      'PUT /api/v1/runs/R',
      'POST /api/v1/runs/R/tries',
      'PATCH /api/v1/runs/R/attempts/A',
      'POST /api/v1/runs/R/attempts/A/junit',
      'POST /api/v1/runs/R/attempts/A/results',
      'GET /api/v1/runs/R',
      'GET /api/v1/runs/R/tests',
      'GET /api/v1/runs/R/decision',
      'GET /api/v1/runs/R/report.xml',
      'GET /failedTests/R',
      'DELETE /api/v1/runs/R',
      'GET /nope/R',
    ),
    contentType: fc.constantFrom(
      undefined,
      'application/json',
      'application/xml',
      'text/xml; charset=utf-8',
      'text/plain',
      'application/json; charset=latin1',
    ),
    gzip: fc.boolean(),
    kind: fc.constantFrom('junit', 'json', 'none'),
    junit: junitLike,
    json: jsonLike,
  })
  .map((r) => {
    const [method, template] = r.route.split(' ') as [string, string];
    const path = template.replace('R', r.run).replace('A', r.attempt) + r.query;
    const body = method === 'GET' || r.kind === 'none' ? undefined : r.kind === 'junit' ? r.junit : r.json;
    return { method, path, contentType: r.contentType, gzip: r.gzip && body !== undefined, body };
  });

async function send(base: string, r: Req): Promise<number> {
  const headers: Record<string, string> = {};
  if (r.contentType) headers['content-type'] = r.contentType;
  let body: Uint8Array | undefined;
  if (r.body !== undefined) {
    body = r.gzip ? gzipSync(r.body) : Buffer.from(r.body);
    if (r.gzip) headers['content-encoding'] = 'gzip';
  }
  const res = await fetch(`${base}${r.path.startsWith('/') ? '' : '/'}${r.path}`, {
    method: r.method,
    headers,
    ...(body ? { body } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('fuzz: every endpoint', () => {
  it(
    `${RUNS} generated requests never get a 5xx`,
    async () => {
      // Seed some state so reads and decisions have something to chew on.
      for (const run of ['r1', 'build/42']) {
        await fetch(`${server.url}/api/v1/runs/${encodeURIComponent(run)}/attempts/1/junit`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: '<testsuite><testcase classname="C" name="a"><failure/></testcase><testcase classname="C" name="b"/></testsuite>',
        });
      }
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const status = await send(server.url, r);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          // On a 5xx, the server's log says why (the stack of the internal error).
          if (status >= 500)
            expect.fail(`${r.method} ${r.path} -> ${status}\n${server.output().slice(-4000)}`);
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      // The generator reaches both accepted and refused requests (not only 404s).
      const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
      const refused = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
      expect(ok).toBeGreaterThan(RUNS / 20);
      expect(refused).toBeGreaterThan(RUNS / 20);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    },
    Math.max(120_000, RUNS * 60),
  );
});
