import { NONE } from './command.js';
import type { FrameworkAdapter } from './types.js';

/**
 * Any command that writes JUnit: dozhim knows nothing of its flags, so it adds nothing. Users place
 * `{junit}`, `{threads}` and `{tests}` (the canonical ids, one argv element each) in their command.
 */
export const generic: FrameworkAdapter = {
  name: 'generic',
  report: () => NONE,
  threads: () => NONE,
  select: (tests) => ({ args: tests.map((t) => t.id), env: {} }),
  selectors: (tests) => tests.map((t) => t.id),
};
