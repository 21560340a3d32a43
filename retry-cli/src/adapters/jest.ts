import { isAbsolute } from 'node:path';
import { alternation, escapeRegExp, literalPattern, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef } from './types.js';

/**
 * jest 30 + jest-junit. The report templates make `classname` the test file (so ids are
 * `<file>::<full name>`) and `name` the full name jest matches `--testNamePattern` against
 * (describe titles and the test title joined by spaces; jest-junit leaves a leading space when there is
 * no describe, which the pattern tolerates).
 *
 * Known limit: jest compiles `--testNamePattern` with the `i` flag, so two tests in the same file whose
 * names differ only by letter case are both re-run.
 */
const fullName = (t: TestRef): string => t.name.trim();

/** jest's positional args are regexes over absolute test paths: match the file exactly, from a `/`. */
export function jestPathPattern(file: string): string {
  const posix = file.replace(/\\/g, '/');
  return isAbsolute(posix)
    ? `^${escapeRegExp(posix)}$`
    : `(?:^|/)${escapeRegExp(posix.replace(/^\.\//, ''))}$`;
}

export function jestNamePattern(tests: readonly TestRef[]): string {
  return `^\\s*${alternation(tests.map((t) => literalPattern(fullName(t))))}\\s*$`;
}

export const jest: FrameworkAdapter = {
  name: 'jest',
  report: (ctx) => ({
    args: ['--reporters=default', '--reporters=jest-junit'],
    env: {
      JEST_JUNIT_OUTPUT_FILE: ctx.junitPath,
      JEST_JUNIT_ADD_FILE_ATTRIBUTE: 'true',
      JEST_JUNIT_CLASSNAME: '{filepath}',
      JEST_JUNIT_TITLE: '{classname} {title}',
      JEST_JUNIT_ANCESTOR_SEPARATOR: ' ',
      // A file that fails to load becomes a failed testcase instead of vanishing from the report.
      JEST_JUNIT_REPORT_TEST_SUITE_ERRORS: 'true',
    },
  }),
  threads: (ctx) => ({ args: [`--maxWorkers=${ctx.threads}`], env: {} }),
  select: (tests) => {
    if (tests.length === 0) return { args: [], env: {} };
    const files = uniq(tests.map((t) => t.file ?? t.classname).filter(Boolean));
    return { args: [...files.map(jestPathPattern), `--testNamePattern=${jestNamePattern(tests)}`], env: {} };
  },
  selectors: (tests) => tests.map((t) => `${t.file ?? t.classname}::${fullName(t)}`),
};
