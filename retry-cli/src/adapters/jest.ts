import { isAbsolute } from 'node:path';
import { testId } from '@dozhim/core';
import { alternation, escapeRegExp, joinedNamePattern, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * jest 30 + jest-junit. The report templates make `classname` the test file (so two files with the same
 * describe titles never share an id) and `name` the describe titles and the test title joined by ` › `
 * (so `describe('group a') › 'b c'` and `describe('group') › 'a b c'` stay two tests; with jest-junit's
 * default single-space separator both would be `group a b c`). jest matches `--testNamePattern` against
 * the same titles joined by single spaces: the pattern accepts either form. jest-junit writes a top-level
 * test (no describe) as ` › title`; normalize() cuts that lead, so its name is just `title`.
 *
 * A file that fails to load (syntax error, a throwing top-level hook or import) is reported, with
 * JEST_JUNIT_REPORT_TEST_SUITE_ERRORS, as one testcase with classname `Test suite failed to run` and
 * name = the file: its unit is that file, re-run whole (no name filter), every test in it counted.
 *
 * Known limits: jest compiles `--testNamePattern` with the `i` flag, so two tests in the same file whose
 * names differ only by letter case both re-run; and the two colliding names above both re-run (their
 * results count apart, by id). A rerun that includes a whole file drops the name filter: the other
 * selected files re-run whole too (only the selected and covered results count).
 */
const SEP = ' › ';
export const JEST_SUITE_ERROR_CLASSNAME = 'Test suite failed to run';
const TOP_LEVEL_LEAD = /^\s*›\s+/;

const fullName = (t: TestRef): string => t.name.trim();

/** jest's positional args are regexes over absolute test paths: match the file exactly, from a `/`. */
export function jestPathPattern(file: string): string {
  const posix = file.replace(/\\/g, '/');
  return isAbsolute(posix)
    ? `^${escapeRegExp(posix)}$`
    : `(?:^|/)${escapeRegExp(posix.replace(/^\.\//, ''))}$`;
}

export function jestNamePattern(tests: readonly TestRef[]): string {
  return `^\\s*${alternation(tests.map((t) => joinedNamePattern(fullName(t), SEP)))}\\s*$`;
}

/** The file a whole-file failure belongs to, or undefined for an ordinary test. */
function suiteErrorFile(ref: TestRef): string | undefined {
  return ref.classname === JEST_SUITE_ERROR_CLASSNAME ? ref.file || ref.name.trim() : undefined;
}

function unitOf(ref: TestRef): TestUnit | undefined {
  const file = suiteErrorFile(ref);
  if (file === undefined) return suiteLevelUnit(ref);
  return {
    label: `test file ${file}`,
    groupFailure: true,
    covers: (r) => r.file === file || r.classname === file || (suiteErrorFile(r) ?? '') === file,
  };
}

const fileOf = (t: TestRef): string => suiteErrorFile(t) ?? t.file ?? t.classname;

export const jest: FrameworkAdapter = {
  name: 'jest',
  repeats: 'executions',
  unitOf,
  normalize: (results) =>
    results.map((r) => {
      if (!TOP_LEVEL_LEAD.test(r.name)) return r;
      const name = r.name.replace(TOP_LEVEL_LEAD, '');
      return { ...r, name, id: testId({ ...r, name }) };
    }),
  report: (ctx) => ({
    args: ['--reporters=default', '--reporters=jest-junit'],
    env: {
      JEST_JUNIT_OUTPUT_FILE: ctx.junitPath,
      JEST_JUNIT_ADD_FILE_ATTRIBUTE: 'true',
      JEST_JUNIT_CLASSNAME: '{filepath}',
      JEST_JUNIT_TITLE: `{classname}${SEP}{title}`,
      JEST_JUNIT_ANCESTOR_SEPARATOR: SEP,
      // A file that fails to load becomes a failed testcase instead of vanishing from the report.
      JEST_JUNIT_REPORT_TEST_SUITE_ERRORS: 'true',
    },
  }),
  threads: (ctx) => ({ args: [`--maxWorkers=${ctx.threads}`], env: {} }),
  select: (tests) => {
    if (tests.length === 0) return { args: [], env: {} };
    const files = uniq(tests.map(fileOf).filter(Boolean)).map(jestPathPattern);
    // A whole file cannot be expressed as a name filter: with one, run the selected files whole.
    if (tests.some((t) => unitOf(t))) return { args: files, env: {} };
    return { args: [...files, `--testNamePattern=${jestNamePattern(tests)}`], env: {} };
  },
  selectors: (tests) =>
    tests.map((t) => (suiteErrorFile(t) !== undefined ? fileOf(t) : `${fileOf(t)}::${fullName(t)}`)),
};
