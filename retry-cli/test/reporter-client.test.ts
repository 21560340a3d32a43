import type { TestResult } from '@dozhim/core';
import { AttemptPatchBody, ResultsBody, RunMetaBody, RunsPage, TestsPage } from '@dozhim/core/wire';
import { describe, expect, it } from 'vitest';
import { sampleAttempt, sampleRun, sampleTestRow } from '../../core/test/wire-samples.js';
import {
  ReporterBadResponseError,
  ReporterHttpError,
  ReporterInconsistentError,
  ReporterUnavailableError,
} from '../src/store/reporter-client.js';
import { type Answer, client } from './fake-reporter-http.js';

// The client against a fake HTTP layer: every answer it takes is parsed with the wire contract
// (@dozhim/core/wire); what it sends is what the reporter's request schemas accept. The real
// reporter's answers are checked against the same schemas in reporter/test/e2e/wire-contract.test.ts.

const run = sampleRun({ try: 3 });
const row = sampleTestRow({ line: 12, retries: [{ kind: 'flakyFailure', message: 'timeout' }] });
const proxyPage = { status: 200, data: '<html><body>Sign in</body></html>' };
const notFound = (code: string) => ({ status: 404, data: { error: { code, message: `${code}!` } } });

describe('ReporterClient parses every answer with the wire contract', () => {
  it('takes contract answers: the try of a run, a new try, an attempt record', async () => {
    const { reporter } = client(({ method, url }) =>
      method === 'PUT'
        ? { status: 201, data: run }
        : url.endsWith('/tries')
          ? { status: 200, data: { run, superseded: 2 } }
          : { status: 200, data: sampleAttempt({ attempt: 2, threads: 4, selectedCount: 1 }) },
    );
    expect(await reporter.putRun('r1', {})).toBe(3);
    expect(await reporter.newTry('r1')).toEqual({ try: 3, superseded: 2 });
    expect((await reporter.patchAttempt('r1', 2, { threads: 4, selectedCount: 1 })).selectedCount).toBe(1);
  });

  it('an answer that is not the contract is a bad response (an outage to the caller), asked once', async () => {
    for (const bad of [
      proxyPage,
      { status: 200, data: {} },
      { status: 200, data: { ...run, try: '3' } },
      { status: 200, data: { ...run, try: 0 } },
    ]) {
      const { reporter, sent } = client(() => bad);
      const e = await reporter.putRun('r1', {}).catch((err: unknown) => err);
      expect(e, JSON.stringify(bad)).toBeInstanceOf(ReporterBadResponseError);
      // The callers' outage handling (local mode, exit 7) applies.
      expect(e).toBeInstanceOf(ReporterUnavailableError);
      expect((e as Error).message).toMatch(
        /PUT \/api\/v1\/runs\/r1 → 200 with a body that is not the reporter's API/,
      );
      // Not retried: asking again would get the same page.
      expect(sent).toHaveLength(1);
    }
  });

  it('reads every page of an attempt into results, in-run retries included', async () => {
    const { reporter, sent } = client(({ params }) =>
      (params as { cursor?: string }).cursor
        ? {
            status: 200,
            data: {
              data: [{ ...row, id: 'b::u', name: 'u', status: 'failed', message: 'boom' }],
              nextCursor: null,
            },
          }
        : { status: 200, data: { data: [row], nextCursor: 'c1' } },
    );
    const results = await reporter.attemptTests('r1', 1, 2);
    expect(sent).toHaveLength(2);
    expect(results).toEqual<TestResult[]>([
      {
        id: 'a.A::t',
        suite: 's',
        classname: 'a.A',
        name: 't',
        status: 'passed',
        durationMs: 5,
        line: 12,
        properties: {},
        retries: [{ kind: 'flakyFailure', message: 'timeout' }],
      },
      {
        id: 'b::u',
        suite: 's',
        classname: 'a.A',
        name: 'u',
        status: 'failed',
        durationMs: 5,
        line: 12,
        message: 'boom',
        properties: {},
        retries: [{ kind: 'flakyFailure', message: 'timeout' }],
      },
    ]);
  });

  it('a row with a status outside the contract is refused, never read as a pass', async () => {
    for (const status of ['FAILED', 'xfail', '']) {
      const { reporter } = client(() => ({
        status: 200,
        data: { data: [{ ...row, status }], nextCursor: null },
      }));
      await expect(reporter.attemptTests('r1', 1, 1)).rejects.toThrow(/data\.0\.status/);
    }
    // Retry evidence of an unknown kind would otherwise hide that a pass came after a failure.
    const { reporter } = client(() => ({
      status: 200,
      data: { data: [{ ...row, retries: [{ kind: 'oops' }] }], nextCursor: null },
    }));
    await expect(reporter.attemptTests('r1', 1, 1)).rejects.toBeInstanceOf(ReporterBadResponseError);
  });

  it('404: "no such run" only when the reporter says run_not_found; any other 404 is a wrong URL', async () => {
    const known = client(() => notFound('run_not_found')).reporter;
    expect(await known.getRun('r1')).toBeUndefined();
    expect(await known.reportXml('r1')).toBeUndefined();
    // The fooling input: a proxy's or another service's 404 must not read as "nothing failed".
    for (const answer of [notFound('not_found'), { status: 404, data: '<html>Not Found</html>' }]) {
      const wrong = client(() => answer).reporter;
      const e = await wrong.getRun('r1').catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ReporterHttpError);
      expect((e as ReporterHttpError).status).toBe(404);
    }
  });

  it("a 4xx keeps the reporter's code and message; one that is not the contract gets http_<status>", async () => {
    const said = client(() => ({
      status: 409,
      data: { error: { code: 'try_superseded', message: 'newer try' } },
    }));
    await expect(said.reporter.patchAttempt('r1', 1, {})).rejects.toMatchObject({
      status: 409,
      code: 'try_superseded',
      message: expect.stringContaining('newer try'),
    });
    const unsaid = client(() => ({ status: 403, data: '<html>Forbidden</html>' }));
    await expect(unsaid.reporter.patchAttempt('r1', 1, {})).rejects.toMatchObject({
      status: 403,
      code: 'http_403',
    });
  });

  it('the merged report must be a JUnit document', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="0">\n</testsuites>\n';
    expect(await client(() => ({ status: 200, data: xml })).reporter.reportXml('r1')).toBe(xml);
    await expect(client(() => proxyPage).reporter.reportXml('r1')).rejects.toBeInstanceOf(
      ReporterBadResponseError,
    );
  });

  it("what it sends is what the reporter's request schemas accept", async () => {
    const upload = {
      runId: 'r1',
      attempt: 1,
      shard: 'default',
      counts: { total: 1, passed: 0, failed: 1, error: 0, skipped: 0 },
    };
    const { reporter, sent } = client(({ method }) =>
      method === 'PUT'
        ? { status: 200, data: run }
        : method === 'POST'
          ? { status: 200, data: upload }
          : {
              status: 200,
              data: sampleAttempt({ threads: 2, exitCode: 1, decision: { action: 'retry', line: 'RETRY' } }),
            },
    );
    const result: TestResult = {
      id: 'a::b',
      suite: 's',
      classname: 'a',
      name: 'b',
      file: 'a.py',
      line: 3,
      status: 'failed',
      durationMs: 2,
      message: 'boom',
      type: 'AssertionError',
      details: 'stack',
      stdout: 'out',
      stderr: 'err',
      properties: { k: 'v' },
      retries: [{ kind: 'rerunFailure', message: 'first' }],
    };
    await reporter.putRun('r1', { project: 'p', labels: { os: 'linux' } });
    await reporter.uploadResults('r1', 1, 'default', [result], 3);
    await reporter.patchAttempt('r1', 1, {
      threads: 2,
      exitCode: 1,
      decision: { action: 'retry', line: 'RETRY' },
    });
    expect(RunMetaBody.parse(sent[0]!.data)).toEqual({ project: 'p', labels: { os: 'linux' } });
    const body = ResultsBody.parse(sent[1]!.data);
    expect(body.results[0]).toMatchObject({ ...result, id: 'a::b' });
    expect(sent[1]!.params).toEqual({ shard: 'default', replace: true, try: 3 });
    expect(AttemptPatchBody.parse(sent[2]!.data)).toEqual({
      threads: 2,
      exitCode: 1,
      decision: { action: 'retry', line: 'RETRY' },
    });
  });
});

describe('ReporterClient takes the pages of an attempt only when they fit the run detail', () => {
  const page = (data: unknown[], nextCursor: unknown = null): Answer => ({
    status: 200,
    data: { data, nextCursor },
  });
  const failing = sampleTestRow({ id: 'a::f', name: 'f', status: 'failed', message: 'boom' });
  const inconsistent = (p: Promise<unknown>) => p.catch((e: unknown) => e);

  it('as many test ids as counts.total: taken; fewer or more is an error, never "nothing failed"', async () => {
    expect(await client(() => page([failing])).reporter.attemptTests('r1', 1, 1)).toHaveLength(1);
    // The fooling inputs: the run deleted or a new try started after getRun (an empty listing of
    // attempt 1, which would read as all green), a shard missing from the pages, one extra.
    for (const [rows, expected] of [
      [[], 1],
      [[], 40],
      [[failing], 2],
      [[failing, row], 1],
    ] as const) {
      const e = await inconsistent(client(() => page([...rows])).reporter.attemptTests('r1', 1, expected));
      expect(e, `${rows.length} rows for ${expected}`).toBeInstanceOf(ReporterInconsistentError);
      // An outage to the callers: local mode for a run, exit 7 for a query.
      expect(e).toBeInstanceOf(ReporterBadResponseError);
      expect((e as Error).message).toContain(
        `the pages list ${rows.length} tests, the run detail ${expected}`,
      );
    }
  });

  it('a test id in two shards counts once, as counts.total counts it', async () => {
    const twice = [failing, { ...failing, shard: '2/2', status: 'passed', message: null }];
    expect(await client(() => page(twice)).reporter.attemptTests('r1', 1, 1)).toHaveLength(2);
    await expect(client(() => page(twice)).reporter.attemptTests('r1', 1, 2)).rejects.toBeInstanceOf(
      ReporterInconsistentError,
    );
  });

  it('a row of another attempt is refused, even when the count fits', async () => {
    const { reporter } = client(() => page([{ ...failing, attempt: 2 }]));
    await expect(reporter.attemptTests('r1', 1, 1)).rejects.toThrow(
      /GET tests of attempt 1 of run r1: a row of attempt 2 \(a::f\)/,
    );
  });

  it('nextCursor "" is not the contract (it would quietly end the paging)', async () => {
    const e = await inconsistent(client(() => page([failing], '')).reporter.attemptTests('r1', 1, 1));
    expect(e).toBeInstanceOf(ReporterBadResponseError);
    expect((e as Error).message).toMatch(/nextCursor: /);
    // A cursor is any non-empty string; null ends the paging.
    expect(TestsPage.safeParse({ data: [], nextCursor: 'x' }).success).toBe(true);
    expect(RunsPage.safeParse({ data: [], nextCursor: '' }).success).toBe(false);
  });

  it('a cursor that does not advance is an error after one repeat, not duplicated data', async () => {
    // Same cursor with new rows each time: caught by the cursor; same rows under new cursors: by the rows.
    let n = 0;
    const same = client(() => page([{ ...failing, id: `t${n++}` }], 'c1'));
    await expect(same.reporter.attemptTests('r1', 1, 2)).rejects.toThrow(/cursor c1 repeated/);
    expect(same.sent).toHaveLength(2);
    const again = client(() => page([failing], `c${n++}`));
    await expect(again.reporter.attemptTests('r1', 1, 1)).rejects.toThrow(
      /row a::f of shard default listed twice/,
    );
    expect(again.sent).toHaveLength(2);
  });

  it('a listing with no last page within the cap is an error; the cursor is sent back as given', async () => {
    const { reporter, sent } = client(({ params }) => {
      const at = Number((params as { cursor?: string }).cursor ?? 0);
      return page([{ ...failing, id: `t${at}` }], String(at + 1));
    });
    await expect(reporter.attemptTests('r1', 1, 10_000)).rejects.toThrow(/no last page after 10000 pages/);
    expect(sent).toHaveLength(10_000);
    expect(sent[1]!.params).toEqual({ status: 'all', attempt: 1, limit: 1000, cursor: '1' });
  });

  it('a 404 on a page (the run deleted after getRun) is an error, not an empty attempt', async () => {
    const { reporter } = client(() => notFound('run_not_found'));
    await expect(reporter.attemptTests('r1', 1, 0)).rejects.toThrow(/404, the run is gone/);
  });
});
