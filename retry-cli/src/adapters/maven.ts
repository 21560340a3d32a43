import { byClass } from './jvm.js';
import type { FrameworkAdapter, TestRef } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * Maven Surefire/Failsafe. `-Dtest=Class#m1+m2,Other#m` selects methods; the failIfNo* flags keep a
 * module without selected tests from failing the build. Reports cannot be redirected by a property, so
 * the run loop reads `target/surefire-reports` (and failsafe's) written during the attempt.
 */
export function mavenTestFilter(tests: readonly TestRef[]): string {
  return [...byClass(tests)]
    .map(([cls, methods]) => (methods === 'all' ? cls : `${cls}#${[...methods].join('+')}`))
    .join(',');
}

export const maven: FrameworkAdapter = {
  name: 'maven',
  repeats: 'executions',
  // `<init>` (a class that failed as a whole) is no method name: byClass() selects its class whole.
  unitOf: suiteLevelUnit,
  reportGlobs: ['**/target/surefire-reports/TEST-*.xml', '**/target/failsafe-reports/TEST-*.xml'],
  report: () => ({ args: [], env: {} }),
  threads: (ctx) => ({ args: [`-DforkCount=${ctx.threads}`], env: {} }),
  select: (tests) =>
    tests.length === 0
      ? { args: [], env: {} }
      : {
          args: [
            `-Dtest=${mavenTestFilter(tests)}`,
            '-DfailIfNoTests=false',
            '-Dsurefire.failIfNoSpecifiedTests=false',
          ],
          env: {},
        },
  selectors: (tests) =>
    [...byClass(tests)].flatMap(([cls, m]) => (m === 'all' ? [cls] : [...m].map((x) => `${cls}#${x}`))),
};
