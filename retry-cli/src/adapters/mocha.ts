import { alternation, literalPattern } from './regex.js';
import type { FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * mocha 11 + mocha-junit-reporter. The reporter writes `name` = the full title (describe titles and the
 * test title joined by spaces), which is exactly what `--grep` is matched against (case-sensitive), and
 * the spec file on the enclosing testsuite (core reads it as the result's `file`).
 *
 * No thread knob: mocha-junit-reporter crashes in `--parallel` mode (it reads suite state that the
 * parallel buffered runner does not provide), so parallel runs would produce no report.
 * mocha splits `--reporter-options` on commas: the report path must not contain one (dozhim's never does).
 * Files are not added: the user's spec list already names them, and adding a spec mocha also finds
 * through a glob would load it twice. So a test with the same full title in another spec file reruns
 * too (its result is ignored: only the selected ids count on a rerun, and the file is part of the id).
 *
 * Hooks: a failing hook is reported as one testcase named `<describe path> "before each" hook for
 * "<test>"` (or `"after all" hook in "<suite>"`, optionally `hook: <name>`), and mocha skips the rest of
 * that describe, whose tests then have no result at all. Its unit is that describe (in that file): every
 * test whose full title starts with the describe path is re-run and counted. A root-level hook (empty
 * path) belongs to every file: its unit is the whole run.
 */
const HOOK_RE = /^(.*?)\s*"(?:before|after) (?:each|all)" hook(?::.*?)?(?: (?:for|in) ".*")?$/s;

/** The describe path of a hook failure's full title, or undefined when the name is not a hook's. */
export function mochaHookPath(name: string): string | undefined {
  return HOOK_RE.exec(name.trim())?.[1]?.trim();
}

const startsWithTitle = (name: string, path: string): boolean =>
  path === '' ||
  name
    .trim()
    .replace(/\s+/g, ' ')
    .startsWith(`${path.replace(/\s+/g, ' ')} `);

function unitOf(ref: TestRef): TestUnit | undefined {
  const path = mochaHookPath(ref.name);
  if (path === undefined) return suiteLevelUnit(ref);
  const file = ref.file;
  return {
    label: path === '' ? 'the whole run (root hook)' : `describe "${path}"${file ? ` in ${file}` : ''}`,
    groupFailure: true,
    covers: (r) => path === '' || ((!file || r.file === file) && startsWithTitle(r.name, path)),
  };
}

/** A grep alternative per ref: the exact full title, or a unit's describe path as a title prefix. */
function grepPart(t: TestRef): string | undefined {
  const hook = mochaHookPath(t.name);
  if (hook !== undefined) return hook === '' ? undefined : `${literalPattern(hook)}\\s.*`;
  // <init>: core names the suite (innermost describe title); any title containing it as a describe.
  if (suiteLevelUnit(t)) return `(?:.*\\s)?${literalPattern(t.suite || t.classname)}\\s.*`;
  return literalPattern(t.name);
}

/** The `--grep` pattern, or undefined when a unit is the whole run (no filter at all). */
export function mochaGrep(tests: readonly TestRef[]): string | undefined {
  const parts = tests.map(grepPart);
  if (parts.some((p) => p === undefined)) return undefined;
  return `^${alternation(parts as string[])}$`;
}

export const mocha: FrameworkAdapter = {
  name: 'mocha',
  repeats: 'executions',
  unitOf,
  report: (ctx) => ({
    args: ['--reporter', 'mocha-junit-reporter', '--reporter-options', `mochaFile=${ctx.junitPath}`],
    env: {},
  }),
  threads: () => ({ args: [], env: {} }),
  select: (tests) => {
    const grep = tests.length === 0 ? undefined : mochaGrep(tests);
    return grep === undefined ? { args: [], env: {} } : { args: ['--grep', grep], env: {} };
  },
  selectors: (tests) => tests.map((t) => t.name),
};
