import {
  AttemptRecord,
  type AttemptRecord as AttemptRecordType,
  AttemptSummary,
  type AttemptSummary as AttemptSummaryType,
  Run,
  RunDetail,
  type Run as RunType,
  TestRow,
  type TestRow as TestRowType,
} from '../src/wire/index.js';

/**
 * Valid answers of the wire contract for tests whose stubs play the reporter (CLI tests, e2e). Each
 * is parsed with its schema when built, so a sample can never drift from the contract: a field added
 * to a schema breaks these, not every stub by hand.
 */

export const sampleRun = (over: Partial<RunType> = {}): RunType =>
  Run.parse({
    id: 'r1',
    project: null,
    branch: null,
    commit: null,
    ciUrl: null,
    labels: {},
    try: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  });

export const sampleAttempt = (over: Partial<AttemptRecordType> = {}): AttemptRecordType =>
  AttemptRecord.parse({
    attempt: 1,
    threads: 1,
    selectedCount: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    decision: null,
    shardTotal: null,
    ...over,
  });

const counts = (failed: number, total: number) => ({
  total,
  passed: total - failed,
  failed,
  error: 0,
  skipped: 0,
});

/** An attempt of a run view, with one uploaded shard `default` of `total` tests, `failed` failing. */
export const sampleAttemptSummary = (
  over: Partial<AttemptRecordType> = {},
  failed = 0,
  total = 1,
): AttemptSummaryType =>
  AttemptSummary.parse({
    ...sampleAttempt(over),
    counts: counts(failed, total),
    shards: [{ name: 'default', uploadedAt: '2026-01-01T00:00:00.000Z', counts: counts(failed, total) }],
  });

/** GET /api/v1/runs/:runId with these attempts and these currently failing ids. */
export const sampleRunDetail = (attempts: AttemptSummaryType[], failing: string[] = []) =>
  RunDetail.parse({
    run: sampleRun(),
    attempts,
    current: { failing, flaky: [], totals: { ...counts(failing.length, failing.length), flaky: 0 } },
  });

export const sampleTestRow = (over: Partial<TestRowType> = {}): TestRowType =>
  TestRow.parse({
    id: 'a.A::t',
    suite: 's',
    classname: 'a.A',
    name: 't',
    file: null,
    status: 'passed',
    durationMs: 5,
    line: null,
    message: null,
    type: null,
    retries: [],
    attempt: 1,
    shard: 'default',
    ...over,
  });

export const runNotFound = { error: { code: 'run_not_found', message: 'run "r1" does not exist' } };
