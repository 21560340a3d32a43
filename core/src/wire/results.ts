import { z } from 'zod';
import { MAX_IDENT_CHARS, testId } from '../identity.js';
import type { TestResult } from '../model.js';

/** Result-level bodies: uploads (request and response) and the listing of stored results. */

export const TestStatus = z.enum(['passed', 'failed', 'error', 'skipped']).meta({ id: 'TestStatus' });

export const StatusCounts = z
  .object({
    total: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    error: z.number().int(),
    skipped: z.number().int(),
  })
  .meta({ id: 'StatusCounts' });

/** POST …/junit and …/results response: the shard's counts after the upload. */
export const UploadResponse = z
  .object({ runId: z.string(), attempt: z.number().int(), shard: z.string(), counts: StatusCounts })
  .meta({ id: 'UploadResponse' });
export type UploadResponse = z.infer<typeof UploadResponse>;

/** Identity texts: generous (hostile parametrized names exist); the body size limit bounds the rest. */
const ident = () => z.string().max(MAX_IDENT_CHARS);
/**
 * Largest integer a count, line or thread number may be: PostgreSQL stores them as `integer`, so a
 * larger one would fail the insert (a 500) where it must be a 400 (SQLite would have stored it).
 */
export const MAX_INT32 = 2 ** 31 - 1;

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
  .meta({ id: 'RetryEvidence' });

export const ResultInput = z
  .object({
    id: ident().optional().meta({ description: 'Defaults to `<classname|file|suite>::<name>`.' }),
    suite: ident().optional(),
    classname: ident().optional(),
    name: ident(),
    file: ident().optional(),
    status: TestStatus,
    durationMs: z.number().nonnegative().optional(),
    message: z
      .string()
      .optional()
      .meta({ description: 'Truncated (head and tail kept) to 8 KiB when stored.' }),
    type: ident().optional(),
    details: z
      .string()
      .optional()
      .meta({ description: 'Truncated (head and tail kept) to 64 KiB when stored.' }),
    stdout: z
      .string()
      .optional()
      .meta({ description: 'Truncated (head and tail kept) to 64 KiB when stored.' }),
    stderr: z
      .string()
      .optional()
      .meta({ description: 'Truncated (head and tail kept) to 64 KiB when stored.' }),
    line: z.number().int().nonnegative().max(MAX_INT32).optional(),
    properties: z.record(z.string(), z.string()).optional(),
    retries: z.array(RetryEvidenceInput).max(100).optional().meta({
      description: 'Other failed tries of the test in this attempt; a passing result with some is flaky.',
    }),
  })
  .strict()
  .refine((r) => (r.id ?? testId(r)) !== '', 'a result needs an id, or a name or scope to derive one from')
  .meta({ id: 'ResultInput' });
export type ResultInput = z.input<typeof ResultInput>;

/** POST …/results request. An empty list is allowed: it records that the shard ran and produced no results. */
export const ResultsBody = z
  .object({ results: z.array(ResultInput) })
  .strict()
  .meta({ id: 'ResultsBody' });
export type ResultsBody = z.input<typeof ResultsBody>;

/** One stored result as GET /api/v1/runs/:runId/tests lists it. */
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
    retries: z.array(RetryEvidenceInput).meta({
      description:
        'Failed tries recorded inside the report (flaky*/rerun*): a client deciding on these rows needs them, or an in-run retry would look plainly green.',
    }),
    attempt: z.number().int(),
    shard: z.string(),
  })
  .meta({ id: 'TestRow' });
export type TestRow = z.infer<typeof TestRow>;

/** `nextCursor`: null on the last page, else a non-empty cursor ("" would quietly end a client's paging). */
export const TestsPage = z
  .object({ data: z.array(TestRow), nextCursor: z.string().min(1).nullable() })
  .meta({ id: 'TestsPage' });
export type TestsPage = z.infer<typeof TestsPage>;

/** GET /failedTests/:runId response (the legacy call). */
export const FailedTests = z
  .object({ data: z.array(z.string()).meta({ description: 'Currently failing test ids, sorted.' }) })
  .meta({ id: 'FailedTests' });
export type FailedTests = z.infer<typeof FailedTests>;

/** GET /api/v1/runs/:runId/report.xml response: the merged JUnit document (core writeMergedJUnit). */
export const MergedReportXml = z
  .string()
  .regex(/^\s*<(?:\?xml|testsuites[\s>])/, 'a JUnit XML document starts with <?xml or <testsuites');

/** A result with where it was stored: its attempt and shard. */
export type LocatedResult = TestResult & { attempt: number; shard: string };

/**
 * The two mappers of a listed result, inverse of each other on what a row carries (a row does not
 * list `details`, output or properties): the reporter writes rows with toTestRow, the CLI reads them
 * back with resultFromTestRow. In-run retries travel both ways, or a test that passed only on its
 * second try would read as green.
 */
export const toTestRow = (r: LocatedResult): TestRow => ({
  id: r.id,
  suite: r.suite,
  classname: r.classname,
  name: r.name,
  file: r.file ?? null,
  status: r.status,
  durationMs: r.durationMs,
  line: r.line ?? null,
  message: r.message ?? null,
  type: r.type ?? null,
  retries: r.retries,
  attempt: r.attempt,
  shard: r.shard,
});

export function resultFromTestRow(row: TestRow): TestResult {
  return {
    id: row.id,
    suite: row.suite,
    classname: row.classname,
    name: row.name,
    ...(row.file !== null ? { file: row.file } : {}),
    status: row.status,
    durationMs: row.durationMs,
    ...(row.message !== null ? { message: row.message } : {}),
    ...(row.type !== null ? { type: row.type } : {}),
    ...(row.line !== null ? { line: row.line } : {}),
    properties: {},
    retries: row.retries,
  };
}

/** A TestResult as the JSON upload sends it (every field the request schema takes). */
export const toResultInput = (r: TestResult): ResultInput => ({
  id: r.id,
  suite: r.suite,
  classname: r.classname,
  name: r.name,
  file: r.file,
  status: r.status,
  durationMs: r.durationMs,
  message: r.message,
  type: r.type,
  details: r.details,
  stdout: r.stdout,
  stderr: r.stderr,
  line: r.line,
  properties: r.properties,
  retries: r.retries,
});
