import { type TestResult, truncateMiddle } from '@dozhim/core';

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

function truncateTexts<T extends Texts>(r: T): T {
  const out = { ...r };
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = out[key];
    if (typeof v === 'string') out[key] = truncateText(v, LIMITS[key]) as T[typeof key];
  }
  return out;
}

/**
 * The result with every long text field, its retry evidence's included, cut to LIMITS (a new object;
 * the input is not changed).
 */
export function truncateResult<T extends TestResult>(r: T): T {
  const out = truncateTexts(r);
  if (out.retries.length > 0) out.retries = out.retries.map(truncateTexts);
  return out;
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

export const DEFAULT_RESULT_CAPS: ResultCaps = { identBytes: 65_536 };

const IDENT_FIELDS = ['id', 'suite', 'classname', 'name', 'file'] as const;

/** A result over a ResultCaps limit; nothing of the upload is stored. Routes answer it 413. */
export class ResultCapError extends Error {
  override readonly name = 'ResultCapError';
  constructor(
    readonly code: 'identifier_too_long' | 'too_many_results',
    message: string,
    readonly details: { limit: number; actual: number; field?: string; index?: number },
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
