import { MAX_IDENT_CHARS, type TestResult, truncateMiddle } from '@dozhim/core';

/**
 * Stored text limits (characters). A CI log can be megabytes per test; the reporter keeps the head
 * (the assertion, the top of the stack) and the tail (where the output ends), and says how much it
 * dropped: core's one truncation rule, the same as the JUnit reader's.
 */
export const LIMITS = {
  message: 8 * 1024,
  details: 64 * 1024,
  stdout: 64 * 1024,
  stderr: 64 * 1024,
} as const;

export const truncateText = truncateMiddle;

type Texts = Partial<Record<keyof typeof LIMITS, string | undefined>>;

const TEXT_KEYS = Object.keys(LIMITS) as (keyof typeof LIMITS)[];

/**
 * True when some text of r is over its limit (checked first: most results have none, no copy then).
 * Written out, not a loop over TEXT_KEYS: it runs for every uploaded result.
 */
const hasLongText = (r: Texts): boolean =>
  (r.message?.length ?? 0) > LIMITS.message ||
  (r.details?.length ?? 0) > LIMITS.details ||
  (r.stdout?.length ?? 0) > LIMITS.stdout ||
  (r.stderr?.length ?? 0) > LIMITS.stderr;

function truncateTexts<T extends Texts>(r: T): T {
  if (!hasLongText(r)) return r;
  const out = { ...r };
  for (const key of TEXT_KEYS) {
    const v = out[key];
    if (typeof v === 'string') out[key] = truncateText(v, LIMITS[key]) as T[typeof key];
  }
  return out;
}

/**
 * The result with every long text field, its retry evidence's included, cut to LIMITS: a new object
 * when something was cut, else the same one (the input is never changed).
 */
export function truncateResult<T extends TestResult>(r: T): T {
  const out = truncateTexts(r);
  if (out.retries.length === 0 || !out.retries.some(hasLongText)) return out;
  return { ...out, retries: out.retries.map(truncateTexts) };
}

/**
 * Caps that refuse a result instead of cutting it: an id, name or classname is the test's identity,
 * and a cut one would silently merge different tests (or hide a failure behind another's pass).
 */
export interface ResultCaps {
  /** Most UTF-8 bytes of an id, suite, classname, name or file: 65,536, the JSON API's cap. */
  identBytes: number;
  /** Most results in one upload (undefined: not checked here). */
  maxResults?: number | undefined;
}

export const DEFAULT_RESULT_CAPS: ResultCaps = { identBytes: MAX_IDENT_CHARS };

const IDENT_FIELDS = ['id', 'suite', 'classname', 'name', 'file'] as const;

/** A result over a ResultCaps limit; nothing of the upload is stored. Routes answer it 413. */
export class ResultCapError extends Error {
  override readonly name = 'ResultCapError';
  constructor(
    readonly code: 'identifier_too_long' | 'too_many_results',
    message: string,
    readonly details: { limit: number; actual: number; field?: string; index?: number; runId?: string },
  ) {
    super(message);
  }
}

/** Throws ResultCapError for the first result over a cap. O(results), no copy. */
export function checkResultCaps(
  results: readonly Pick<TestResult, (typeof IDENT_FIELDS)[number]>[],
  caps: ResultCaps = DEFAULT_RESULT_CAPS,
): void {
  if (caps.maxResults !== undefined && results.length > caps.maxResults) {
    throw new ResultCapError(
      'too_many_results',
      `at most ${caps.maxResults} results per upload, got ${results.length}`,
      { limit: caps.maxResults, actual: results.length },
    );
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: only strings that could be over the cap are measured.
  const unitsSafe = Math.floor(caps.identBytes / 3);
  results.forEach((r, index) => {
    for (const field of IDENT_FIELDS) {
      const v = r[field];
      if (v === undefined || v.length <= unitsSafe) continue;
      const bytes = Buffer.byteLength(v, 'utf8');
      if (bytes > caps.identBytes) {
        throw new ResultCapError(
          'identifier_too_long',
          `result ${index}: ${field} is ${bytes} bytes, at most ${caps.identBytes} are stored (starts "${v.slice(0, 80)}")`,
          { limit: caps.identBytes, actual: bytes, field, index },
        );
      }
    }
  });
}

/**
 * Size caps on what one upload may store, checked after parsing and before the transaction (the
 * HTTP layer's configurable limits; `ResultCaps` above is the storage's own backstop).
 */
export interface UploadCaps {
  /** Most testcases (results after merging repeats) in one upload. */
  maxTestcases: number;
  /** Most UTF-8 bytes in an id, name, classname, suite, file or failure type. */
  maxFieldBytes: number;
  /** Most properties on one result (its suite's included). */
  maxProperties: number;
  /** Most results one run may hold, all attempts; checked inside the write's transaction. */
  maxRunResults?: number | undefined;
}

/** An upload over an UploadCaps limit, with the HTTP status to answer; plain data, so it crosses the worker. */
export class UploadCapError extends Error {
  override readonly name = 'UploadCapError';
  constructor(
    readonly status: 400 | 413,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

// The id last: it is built from the others, so the field the producer wrote is named first.
const FIELDS = ['name', 'classname', 'suite', 'file', 'project', 'type', 'id'] as const;

/** Own keys of a plain object, without building their array (this runs once per uploaded result). */
function countKeys(o: Record<string, string> | undefined): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/**
 * Throws UploadCapError (413 `too_many_testcases`, 400 `field_too_large` or 413 `too_many_properties`)
 * with the first offending test, so an oversized report is refused as a whole (never stored in part).
 * Pure: it runs in the parse worker too, before the insert.
 */
export function checkUploadCaps(results: readonly TestResult[], caps: UploadCaps): void {
  if (results.length > caps.maxTestcases) {
    throw new UploadCapError(
      413,
      'too_many_testcases',
      `at most ${caps.maxTestcases} testcases per upload, got ${results.length}; split the report into shards`,
      { limit: caps.maxTestcases, got: results.length },
    );
  }
  // Results of one suite share one properties object (the reader's): counted once per object.
  let counted: Record<string, string> | undefined;
  let props = 0;
  for (let index = 0; index < results.length; index++) {
    const r = results[index]!;
    for (const field of FIELDS) {
      const value = r[field];
      // Characters are at most 3 UTF-8 bytes per UTF-16 unit, so short strings skip the count.
      if (typeof value !== 'string' || value.length * 3 <= caps.maxFieldBytes) continue;
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > caps.maxFieldBytes) {
        throw new UploadCapError(
          400,
          'field_too_large',
          `testcase ${index + 1}: ${field} is ${bytes} bytes, more than the limit of ${caps.maxFieldBytes}`,
          { index, field, bytes, limit: caps.maxFieldBytes, start: value.slice(0, 200) },
        );
      }
    }
    if (r.properties !== counted) {
      counted = r.properties;
      props = countKeys(r.properties);
    }
    if (props > caps.maxProperties) {
      throw new UploadCapError(
        413,
        'too_many_properties',
        `testcase ${index + 1} (${r.name.slice(0, 200)}) has ${props} properties, more than the limit of ${caps.maxProperties}`,
        { index, properties: props, limit: caps.maxProperties },
      );
    }
  }
}
