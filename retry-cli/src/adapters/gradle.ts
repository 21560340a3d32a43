import { byClass } from './jvm.js';
import type { FrameworkAdapter, TestRef } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * Gradle: one `--tests Class.method` pair per test (argv elements, so no shell quoting is involved).
 * Reports go to `build/test-results/<task>/TEST-*.xml`; the run loop reads those written this attempt.
 */
function filters(tests: readonly TestRef[]): string[] {
  return [...byClass(tests)].flatMap(([cls, m]) => (m === 'all' ? [cls] : [...m].map((x) => `${cls}.${x}`)));
}

export const gradle: FrameworkAdapter = {
  name: 'gradle',
  repeats: 'executions',
  // `<init>` (a class that failed as a whole) is no method name: byClass() selects its class whole.
  unitOf: suiteLevelUnit,
  reportGlobs: ['**/build/test-results/**/TEST-*.xml'],
  report: () => ({ args: [], env: {} }),
  threads: (ctx) => ({ args: [`--max-workers=${ctx.threads}`], env: {} }),
  select: (tests) => ({ args: filters(tests).flatMap((f) => ['--tests', f]), env: {} }),
  selectors: (tests) => filters(tests),
};
