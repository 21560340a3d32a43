import { NONE } from './command.js';
import type { FrameworkAdapter } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * Any command that writes JUnit: dozhim knows nothing of its flags, so it adds nothing. Users place
 * `{junit}`, `{threads}` and `{tests}` (the canonical ids, one argv element each) in their command.
 */
export const generic: FrameworkAdapter = {
  name: 'generic',
  repeats: 'executions',
  // A suite-level `<init>` result is passed on as its id; the results of its file or suite count.
  unitOf: suiteLevelUnit,
  report: () => NONE,
  threads: () => NONE,
  select: (tests) => ({ args: tests.map((t) => t.id), env: {} }),
  selectors: (tests) => tests.map((t) => t.id),
};
