import type { TestResult } from '@dozhim/core';
import { alternation, escapeRegExp, literalPattern } from './regex.js';
import type { FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * @playwright/test 1.65. The JUnit reporter writes `classname` = the file suite title (path relative to
 * testDir) and `name` = describe titles and test title joined by ` › `. `--grep` is matched against
 * `<root ''> <project> <file> <describe…> <title> <tags…>` joined by spaces. A plain `--grep` string is
 * compiled with the `i` flag; the `/…/` form takes our flags (none), so matching is case-sensitive.
 * Tags that Playwright appends after titles are tolerated; `--workers=N` is the thread knob.
 * Repeats are `retries`: with `retries` configured Playwright writes each try of a test.
 *
 * Serial groups (`test.describe.serial`, `describe.configure({ mode: 'serial' })`): every test of one
 * carries a `serial` property, and after the first failure Playwright does not run the later ones; it
 * reports them as plain `<skipped>`, which would read as a green run. normalize() turns such a skipped
 * test (a serial group with a failure, no `skip`/`fixme` annotation) into a failure "did not run", and
 * the unit of a serial test is its group (same file and describe path): re-run whole, every test of it
 * counted. Known limit: the group is the test's innermost describe; a serial mode set on an outer
 * describe reruns only the inner one.
 */
const SEP = ' › ';
const TAGS = '(?:\\s+@\\S+)*';
const BETWEEN = `${TAGS}(?:\\s+${escapeRegExp('›')})?\\s+`;
export const DID_NOT_RUN_MESSAGE = 'did not run: an earlier test of its serial group failed';

const describePath = (name: string): string[] => name.split(SEP).slice(0, -1);
const isSerial = (r: { properties?: Readonly<Record<string, string>> }): boolean =>
  r.properties !== undefined && Object.hasOwn(r.properties, 'serial');
const fileOf = (t: TestRef): string => t.file ?? t.classname;

/** The project (when the report named one) and the file: what comes before the titles in a grep line. */
const head = (t: TestRef): string[] => [...(t.project ? [t.project] : []), fileOf(t)];

function grepOne(t: TestRef): string {
  // Between titles Playwright may insert a describe's tags, and a title may itself contain ` › `.
  return [...head(t), ...t.name.split(SEP)].map(literalPattern).join(BETWEEN);
}

/** A project, file and describe path as a title prefix: every test inside it. */
function grepPrefix(t: TestRef, path: readonly string[]): string {
  return `${[...head(t), ...path].map(literalPattern).join(BETWEEN)}\\s.*`;
}

function unitOf(ref: TestRef): TestUnit | undefined {
  const suite = suiteLevelUnit(ref);
  if (suite || !isSerial(ref)) return suite;
  const file = fileOf(ref);
  const path = describePath(ref.name);
  const prefix = path.join(SEP);
  return {
    label: `serial group ${[file, ...path].join(SEP)}`,
    groupFailure: false,
    covers: (r) =>
      fileOf(r) === file &&
      r.project === ref.project &&
      isSerial(r) &&
      (prefix === '' || r.name.startsWith(`${prefix}${SEP}`)),
  };
}

function grepPart(t: TestRef): string {
  if (suiteLevelUnit(t)) return grepPrefix(t, []);
  if (isSerial(t)) return grepPrefix(t, describePath(t.name));
  return grepOne(t);
}

export function playwrightGrep(tests: readonly TestRef[]): string {
  return `/(?:^|\\s)${alternation(tests.map(grepPart))}${TAGS}$/`;
}

/** The id without the name: the part that says which file/project the test belongs to. */
const scopeOf = (r: TestResult): string => {
  const name = r.name.replace(/\s+/g, ' ').trim();
  return r.id.endsWith(name) ? r.id.slice(0, r.id.length - name.length) : r.id;
};

/** Serial tests reported skipped only because an earlier test of their group failed become failures. */
export function markDidNotRun(results: TestResult[]): TestResult[] {
  const key = (r: TestResult): string => `${scopeOf(r)}\u0000${describePath(r.name).join(SEP)}`;
  const failedGroups = new Set(
    results.filter((r) => isSerial(r) && (r.status === 'failed' || r.status === 'error')).map(key),
  );
  return results.map((r) => {
    const annotated = Object.hasOwn(r.properties, 'skip') || Object.hasOwn(r.properties, 'fixme');
    if (r.status !== 'skipped' || !isSerial(r) || annotated || !failedGroups.has(key(r))) return r;
    return {
      ...r,
      status: 'failed',
      message: DID_NOT_RUN_MESSAGE,
      type: 'dozhim.DidNotRun',
      details:
        'Playwright skipped this test because an earlier test of its serial group failed; it never ran.',
    };
  });
}

export const playwright: FrameworkAdapter = {
  name: 'playwright',
  repeats: 'retries',
  unitOf,
  normalize: markDidNotRun,
  report: (ctx) => ({
    args: ['--reporter=list,junit'],
    env: { PLAYWRIGHT_JUNIT_OUTPUT_NAME: ctx.junitPath },
  }),
  threads: (ctx) => ({ args: [`--workers=${ctx.threads}`], env: {} }),
  select: (tests) =>
    tests.length === 0 ? { args: [], env: {} } : { args: [`--grep=${playwrightGrep(tests)}`], env: {} },
  selectors: (tests) => tests.map((t) => `${t.project ? `[${t.project}] ` : ''}${fileOf(t)}::${t.name}`),
};
