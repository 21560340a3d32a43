import { alternation, literalPattern } from './regex.js';
import type { FrameworkAdapter, TestRef } from './types.js';

/**
 * mocha 11 + mocha-junit-reporter. The reporter writes `name` = the full title (describe titles and the
 * test title joined by spaces), which is exactly what `--grep` is matched against (case-sensitive).
 *
 * No thread knob: mocha-junit-reporter crashes in `--parallel` mode (it reads suite state that the
 * parallel buffered runner does not provide), so parallel runs would produce no report.
 * mocha splits `--reporter-options` on commas: the report path must not contain one (dozhim's never does).
 * Files are not added: the user's spec list already names them, and adding a spec mocha also finds
 * through a glob would load it twice. So a test with the same full title in another spec file reruns
 * too (its result is ignored: only the selected ids count on a rerun).
 */
export function mochaGrep(tests: readonly TestRef[]): string {
  return `^${alternation(tests.map((t) => literalPattern(t.name)))}$`;
}

export const mocha: FrameworkAdapter = {
  name: 'mocha',
  report: (ctx) => ({
    args: ['--reporter', 'mocha-junit-reporter', '--reporter-options', `mochaFile=${ctx.junitPath}`],
    env: {},
  }),
  threads: () => ({ args: [], env: {} }),
  select: (tests) =>
    tests.length === 0 ? { args: [], env: {} } : { args: ['--grep', mochaGrep(tests)], env: {} },
  selectors: (tests) => tests.map((t) => t.name),
};
