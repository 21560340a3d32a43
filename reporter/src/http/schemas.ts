import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { parseMaxFailed, parseThreadsSchedule, RUN_ID_PATTERN, testId } from '@dozhim/core';
import { z } from 'zod';
import { decodeCursor } from '../snapshot.js';

// The zod schemas below validate requests AND generate the OpenAPI document (openapi.ts): one source.
extendZodWithOpenApi(z);

export const RunIdParam = z
  .string()
  .regex(RUN_ID_PATTERN, 'run id must be 1-200 characters of A-Z a-z 0-9 . _ : @ / -')
  .openapi({ description: 'Run id; URL-encode `/` as %2F.', example: 'my-pipeline-1234' });

export const AttemptParam = z.coerce
  .number()
  .int('attempt must be a whole number')
  .min(1, 'attempt must be >= 1')
  .max(1000, 'attempt must be <= 1000')
  .openapi({ type: 'integer', minimum: 1, example: 1 });

export const RunParams = z.object({ runId: RunIdParam });
export const AttemptParams = z.object({ runId: RunIdParam, attempt: AttemptParam });

/** Every write may name the try it belongs to; a superseded try's writes are refused (409). */
export const WriteQuery = z.object({
  try: z.coerce.number().int().min(1).optional().openapi({
    description:
      'The try of the run this writer belongs to (the `try` a PUT or POST /tries answered). A write of an older try is refused with 409 `try_superseded`.',
  }),
});

export const ShardQuery = WriteQuery.extend({
  replace: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1')
    .openapi({
      description:
        'JSON uploads only: replace the shard instead of upserting into it (the first of several batches of one shard).',
    }),
  shard: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20), 'shard must not contain control characters')
    .default('default')
    .openapi({
      description: 'Shard name, e.g. `1/4` or a Jenkins branch. Re-uploading a shard replaces it.',
    }),
});

const text = (max: number) => z.string().max(max);

export const RunMetaBody = z
  .object({
    project: text(200).optional(),
    branch: text(500).optional(),
    commit: text(200).optional(),
    ciUrl: text(2000).optional(),
    labels: z.record(text(100), text(1000)).optional(),
  })
  .strict()
  .openapi('RunMeta');

export const Run = z
  .object({
    id: z.string(),
    project: z.string().nullable(),
    branch: z.string().nullable(),
    commit: z.string().nullable(),
    ciUrl: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    try: z
      .number()
      .int()
      .openapi({ description: 'Current try of the run id (1, then +1 per superseding run)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Run');

export const NewTryResponse = z
  .object({
    run: Run,
    superseded: z.number().int().openapi({
      description: 'Attempts of the previous try moved to history (0: the run had none, nothing changed)',
    }),
  })
  .openapi('NewTry');

export const TestStatus = z.enum(['passed', 'failed', 'error', 'skipped']).openapi('TestStatus');

export const StatusCounts = z
  .object({
    total: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    error: z.number().int(),
    skipped: z.number().int(),
  })
  .openapi('StatusCounts');

export const UploadResponse = z
  .object({ runId: z.string(), attempt: z.number().int(), shard: z.string(), counts: StatusCounts })
  .openapi('UploadResponse');

/** Identity texts: generous (hostile parametrized names exist); the body size limit bounds the rest. */
const ident = () => z.string().max(65_536);

/** A failed try recorded with the result (Surefire flaky and rerun elements, in-run retries). */
export const RetryEvidenceInput = z
  .object({
    kind: z.enum(['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError']),
    message: z.string().optional(),
    type: ident().optional(),
    details: z.string().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    durationMs: z.number().nonnegative().optional(),
  })
  .strict()
  .openapi('RetryEvidence');

export const ResultInput = z
  .object({
    id: ident().optional().openapi({ description: 'Defaults to `<classname|file|suite>::<name>`.' }),
    suite: ident().optional(),
    classname: ident().optional(),
    name: ident(),
    file: ident().optional(),
    status: TestStatus,
    durationMs: z.number().nonnegative().optional(),
    message: z.string().optional().openapi({ description: 'Truncated to 8 KiB when stored.' }),
    type: ident().optional(),
    details: z.string().optional().openapi({ description: 'Truncated to 64 KiB when stored.' }),
    stdout: z.string().optional().openapi({ description: 'Truncated to 64 KiB when stored.' }),
    stderr: z.string().optional().openapi({ description: 'Truncated to 64 KiB when stored.' }),
    line: z.number().int().nonnegative().optional(),
    properties: z.record(z.string(), z.string()).optional(),
    retries: z.array(RetryEvidenceInput).max(100).optional().openapi({
      description: 'Other failed tries of the test in this attempt; a passing result with some is flaky.',
    }),
  })
  .strict()
  .refine((r) => (r.id ?? testId(r)) !== '', 'a result needs an id, or a name or scope to derive one from')
  .openapi('ResultInput');

/** An empty list is allowed: it records that the shard ran and produced no results. */
export const ResultsBody = z
  .object({ results: z.array(ResultInput) })
  .strict()
  .openapi('ResultsBody');

export const DecisionInput = z
  .object({
    action: z.enum(['finish', 'retry', 'terminate']),
    reason: z.string().max(100).optional(),
    line: z.string().max(2000),
  })
  .strict()
  .openapi('StoredDecision');

const isoTime = z.iso.datetime({ offset: true });

export const AttemptPatchBody = z
  .object({
    threads: z.number().int().min(1).optional(),
    selectedCount: z.number().int().min(0).optional(),
    startedAt: isoTime.optional(),
    finishedAt: isoTime.optional(),
    exitCode: z.number().int().optional(),
    decision: DecisionInput.optional(),
    shardTotal: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
  .openapi('AttemptPatch');

export const Attempt = z
  .object({
    attempt: z.number().int(),
    threads: z.number().int().nullable(),
    selectedCount: z.number().int().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    decision: DecisionInput.nullable(),
    shardTotal: z.number().int().nullable(),
  })
  .openapi('Attempt');

export const AttemptSummary = Attempt.extend({
  counts: StatusCounts.openapi({ description: 'One per test id: a failing shard wins over a passing one.' }),
  shards: z.array(z.object({ name: z.string(), uploadedAt: z.string(), counts: StatusCounts })),
}).openapi('AttemptSummary');

export const RunDetail = z
  .object({
    run: Run,
    attempts: z.array(AttemptSummary),
    current: z.object({
      failing: z.array(z.string()),
      flaky: z.array(z.string()),
      totals: StatusCounts.extend({ flaky: z.number().int() }),
    }),
  })
  .openapi('RunDetail');

const limit = (def: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(def).openapi({ type: 'integer' });

export const TestsQuery = z.object({
  status: z.enum(['failed', 'flaky', 'passed', 'all']).default('all'),
  attempt: AttemptParam.optional(),
  limit: limit(1000, 10_000),
  cursor: z
    .string()
    .max(2000)
    .refine((c) => decodeCursor(c) !== undefined, 'cursor must be a value returned as nextCursor')
    .optional(),
});

export const TestRow = z
  .object({
    id: z.string(),
    suite: z.string(),
    classname: z.string(),
    name: z.string(),
    file: z.string().nullable(),
    status: TestStatus,
    durationMs: z.number(),
    line: z.number().int().nullable(),
    message: z.string().nullable(),
    type: z.string().nullable(),
    retries: z.array(RetryEvidenceInput).openapi({
      description:
        'Failed tries recorded inside the report (flaky*/rerun*): a client deciding on these rows needs them, or an in-run retry would look plainly green.',
    }),
    attempt: z.number().int(),
    shard: z.string(),
  })
  .openapi('TestRow');

export const TestsPage = z
  .object({ data: z.array(TestRow), nextCursor: z.string().nullable() })
  .openapi('TestsPage');

export const FailedTests = z
  .object({ data: z.array(z.string()).openapi({ description: 'Currently failing test ids, sorted.' }) })
  .openapi('FailedTests');

export const RunsQuery = z.object({
  project: z.string().max(200).optional(),
  branch: z.string().max(500).optional(),
  limit: limit(50, 500),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'cursor must be a value returned as nextCursor')
    .optional(),
});

export const RunsPage = z
  .object({ data: z.array(Run), nextCursor: z.string().nullable() })
  .openapi('RunsPage');

const positiveInt = z.coerce.number().int().min(1).openapi({ type: 'integer' });
const wrapRange =
  <T>(parse: (s: string) => T) =>
  (s: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  };

export const DecisionQuery = z.object({
  maxRuns: positiveInt.optional(),
  maxFailed: z
    .string()
    .transform(wrapRange(parseMaxFailed))
    .optional()
    .openapi({ type: 'string', example: '40' }),
  stopOnNoProgress: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  threads: positiveInt.optional(),
  threadsSchedule: z
    .string()
    .transform(wrapRange(parseThreadsSchedule))
    .optional()
    .openapi({ type: 'string', example: 'halve' }),
  minThreads: positiveInt.optional(),
});

export const Decision = z
  .object({
    action: z.enum(['finish', 'retry', 'terminate']),
    reason: z.string(),
    line: z.string(),
    attempt: z.number().int(),
    maxRuns: z.number().int(),
    nextAttempt: z.number().int().optional(),
    nextThreads: z.number().int().optional(),
    testsToRerun: z.array(z.string()),
    outcome: z.enum(['passed', 'flaky', 'failed']),
    failing: z.array(z.string()),
    flaky: z.array(z.string()),
    notRetried: z.array(z.string()),
    quarantined: z.array(z.string()),
    failedInAttempt: z.number().int(),
    maxFailedLimit: z.number(),
  })
  .openapi('Decision');

export const ErrorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');

export const Health = z.object({ status: z.literal('ok') }).openapi('Health');
