import { alternation, joinedNamePattern, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef } from './types.js';

/**
 * vitest 4. Its JUnit reporter writes `classname` = the file (relative to the root) and `name` = the
 * describe titles and the test title joined by ` > `; `-t` is matched (case-sensitively) against the
 * same titles joined by single spaces (runner's getTaskFullName, without the file). The pattern
 * accepts both separators. Positional filters are substrings of file paths, so the file narrows the run.
 */
export function vitestNamePattern(tests: readonly TestRef[]): string {
  return `^${alternation(tests.map((t) => joinedNamePattern(t.name, ' > ')))}$`;
}

export const vitest: FrameworkAdapter = {
  name: 'vitest',
  report: (ctx) => ({
    args: ['--reporter=default', '--reporter=junit', `--outputFile.junit=${ctx.junitPath}`],
    env: {},
  }),
  threads: (ctx) => ({ args: [`--maxWorkers=${ctx.threads}`], env: {} }),
  select: (tests) => {
    if (tests.length === 0) return { args: [], env: {} };
    const files = uniq(tests.map((t) => t.file ?? t.classname).filter(Boolean));
    return { args: [...files, `--testNamePattern=${vitestNamePattern(tests)}`], env: {} };
  },
  selectors: (tests) => tests.map((t) => `${t.file ?? t.classname}::${t.name}`),
};
