import { alternation, escapeRegExp, literalPattern } from './regex.js';
import type { FrameworkAdapter, TestRef } from './types.js';

/**
 * @playwright/test 1.65. The JUnit reporter writes `classname` = the file suite title (path relative to
 * testDir) and `name` = describe titles and test title joined by ` › `. `--grep` is matched against
 * `<root ''> <project> <file> <describe…> <title> <tags…>` joined by spaces. A plain `--grep` string is
 * compiled with the `i` flag; the `/…/` form takes our flags (none), so matching is case-sensitive.
 * Tags that Playwright appends after titles are tolerated; `--workers=N` is the thread knob.
 */
const SEP = ' › ';
const TAGS = '(?:\\s+@\\S+)*';

function grepOne(t: TestRef): string {
  const parts = t.name.split(SEP).map(literalPattern);
  const file = literalPattern(t.file ?? t.classname);
  // Between titles Playwright may insert a describe's tags, and a title may itself contain ` › `.
  return [file, ...parts].join(`${TAGS}(?:\\s+${escapeRegExp('›')})?\\s+`);
}

export function playwrightGrep(tests: readonly TestRef[]): string {
  return `/(?:^|\\s)${alternation(tests.map(grepOne))}${TAGS}$/`;
}

export const playwright: FrameworkAdapter = {
  name: 'playwright',
  report: (ctx) => ({
    args: ['--reporter=list,junit'],
    env: { PLAYWRIGHT_JUNIT_OUTPUT_NAME: ctx.junitPath },
  }),
  threads: (ctx) => ({ args: [`--workers=${ctx.threads}`], env: {} }),
  select: (tests) =>
    tests.length === 0 ? { args: [], env: {} } : { args: [`--grep=${playwrightGrep(tests)}`], env: {} },
  selectors: (tests) => tests.map((t) => `${t.file ?? t.classname}::${t.name}`),
};
