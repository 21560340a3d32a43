// CONTRACT STUB — to be implemented (helper "core-junit"). Signatures are fixed: other packages use them.
import type { StatusCounts, TestResult } from './model.js';

export const DEFAULT_MAX_INPUT_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_OUTPUT_CHARS = 64 * 1024;

export type JUnitErrorCode = 'empty' | 'too-large' | 'forbidden-dtd' | 'malformed' | 'not-junit';

/** Typed error for unreadable input; names the source and, when known, the position. */
export class JUnitParseError extends Error {
  override readonly name = 'JUnitParseError';
  constructor(
    readonly code: JUnitErrorCode,
    message: string,
    readonly source: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

export interface ReadOptions {
  /** File name or label used in errors. */
  source?: string;
  /** Input larger than this is rejected with code `too-large`. */
  maxBytes?: number;
  /** stdout/stderr/details longer than this are truncated (with a marker). */
  maxOutputChars?: number;
}

export interface ParsedReport {
  source: string;
  results: TestResult[];
  counts: StatusCounts;
}

export function countStatuses(results: readonly TestResult[]): StatusCounts {
  const c: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) {
    c.total++;
    c[r.status]++;
  }
  return c;
}

export function parseJUnit(_xml: string | Uint8Array, _options: ReadOptions = {}): ParsedReport {
  throw new Error('not implemented');
}

export async function readJUnitFile(_path: string, _options: ReadOptions = {}): Promise<ParsedReport> {
  throw new Error('not implemented');
}
