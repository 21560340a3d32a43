import { isSuiteLevel } from '@dozhim/core';
import type { TestRef, TestUnit } from './types.js';

/**
 * Units shared by several adapters. A unit is the smallest group that contains a failure belonging to
 * no single test (see TestUnit in types.ts); each adapter decides which of its results form one.
 */

/** Core's suite-level result (`<init>`): a failure of a file, class or suite as a whole. */
export const isSuiteLevelRef = (ref: TestRef): boolean => isSuiteLevel(ref);

/**
 * The unit of a suite-level `<init>` result: its file when the report named one, else its class or
 * suite (core sets classname and suite to the suite's name).
 */
export function suiteLevelUnit(ref: TestRef): TestUnit | undefined {
  if (!isSuiteLevelRef(ref)) return undefined;
  if (ref.file) {
    const file = ref.file;
    return { label: `file ${file}`, groupFailure: true, covers: (r) => r.file === file };
  }
  const scope = ref.classname || ref.suite;
  return {
    label: `suite ${scope}`,
    groupFailure: true,
    covers: (r) => (r.classname || r.suite) === scope || r.suite === scope,
  };
}
