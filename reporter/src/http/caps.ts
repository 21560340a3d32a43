import type { TestResult } from '@dozhim/core';
import { ApiError } from './errors.js';

/**
 * Size caps on what one upload may store, checked after parsing and before the transaction.
 * (The storage engineer's truncate.ts will export the id/name check too; the lead folds the two.)
 */
export interface ResultCaps {
  /** Most testcases (results after merging repeats) in one upload. */
  maxTestcases: number;
  /** Most UTF-8 bytes in an id, name, classname, suite, file or failure type. */
  maxFieldBytes: number;
  /** Most properties on one result (its suite's included: that is what is stored per result today). */
  maxProperties: number;
}

// The id last: it is built from the others, so the field the producer wrote is named first.
const FIELDS = ['name', 'classname', 'suite', 'file', 'project', 'type', 'id'] as const;

/**
 * Throws 413 `too_many_testcases`, 400 `field_too_large` or 413 `too_many_properties` with the
 * first offending test, so an oversized report is refused as a whole (never stored in part).
 */
export function checkCaps(results: readonly TestResult[], caps: ResultCaps): void {
  if (results.length > caps.maxTestcases) {
    throw new ApiError(
      413,
      'too_many_testcases',
      `at most ${caps.maxTestcases} testcases per upload, got ${results.length}; split the report into shards`,
      { limit: caps.maxTestcases, got: results.length },
    );
  }
  results.forEach((r, index) => {
    for (const field of FIELDS) {
      const value = r[field];
      // Characters are at most 3 UTF-8 bytes per UTF-16 unit, so short strings skip the count.
      if (typeof value !== 'string' || value.length * 3 <= caps.maxFieldBytes) continue;
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > caps.maxFieldBytes) {
        throw new ApiError(
          400,
          'field_too_large',
          `testcase ${index + 1}: ${field} is ${bytes} bytes, more than the limit of ${caps.maxFieldBytes}`,
          { index, field, bytes, limit: caps.maxFieldBytes, start: value.slice(0, 200) },
        );
      }
    }
    const props = Object.keys(r.properties ?? {}).length;
    if (props > caps.maxProperties) {
      throw new ApiError(
        413,
        'too_many_properties',
        `testcase ${index + 1} (${r.name.slice(0, 200)}) has ${props} properties, more than the limit of ${caps.maxProperties}`,
        { index, properties: props, limit: caps.maxProperties },
      );
    }
  });
}
