import { alternation, joinedNamePattern, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * A file that fails to load (a throwing import or top-level code) is written as one failed testcase
 * whose classname and name are both the file: none of its tests ran, so its unit is the file.
 */
const loadFailureFile = (ref: TestRef): string | undefined =>
  ref.classname !== '' && ref.name === ref.classname ? ref.classname : undefined;

function unitOf(ref: TestRef): TestUnit | undefined {
  const file = loadFailureFile(ref);
  if (file === undefined) return suiteLevelUnit(ref);
  return { label: `test file ${file}`, groupFailure: true, covers: (r) => (r.file ?? r.classname) === file };
}

/**
 * vitest 4. Its JUnit reporter writes `classname` = the file (relative to the root) and `name` = the
 * describe titles and the test title joined by ` > `; `-t` is matched (case-sensitively) against the
 * same titles joined by single spaces (runner's getTaskFullName, without the file). The pattern
 * accepts both separators. Positional filters are substrings of file paths, so the file narrows the run.
 * The same title twice in one file gives two testcases with one id: they are two executions (repeats
 * `executions`), so either one failing fails the test. A file that failed to load, and a suite-level
 * `<init>` result, re-run their file whole (no name filter, for every selected file).
 */
export function vitestNamePattern(tests: readonly TestRef[]): string {
  return `^${alternation(tests.map((t) => joinedNamePattern(t.name, ' > ')))}$`;
}

export const vitest: FrameworkAdapter = {
  name: 'vitest',
  repeats: 'executions',
  unitOf,
  report: (ctx) => ({
    args: ['--reporter=default', '--reporter=junit', `--outputFile.junit=${ctx.junitPath}`],
    env: {},
  }),
  threads: (ctx) => ({ args: [`--maxWorkers=${ctx.threads}`], env: {} }),
  select: (tests) => {
    if (tests.length === 0) return { args: [], env: {} };
    const files = uniq(tests.map((t) => t.file ?? t.classname).filter(Boolean));
    if (tests.some((t) => unitOf(t))) return { args: files, env: {} };
    return { args: [...files, `--testNamePattern=${vitestNamePattern(tests)}`], env: {} };
  },
  selectors: (tests) => tests.map((t) => `${t.file ?? t.classname}::${t.name}`),
};
