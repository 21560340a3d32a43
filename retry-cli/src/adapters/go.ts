import { quoteMetaGo, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef } from './types.js';

/**
 * go 1.19 through gotestsum 1.8: the command is `gotestsum [gotestsum flags] -- [go test args]`.
 * The report flag is gotestsum's own, so it is PREPENDED (before the user's `--`); thread and selection
 * flags are `go test` flags, appended after the user's packages (go test accepts flags there).
 *
 * JUnit: `classname` = package import path, `name` = `TestA` or `TestA/sub_name` (go already replaced
 * spaces in subtest names by `_`, which is also how `-run` matches them).
 *
 * Selection: go's `-run` splits the pattern on unbracketed `|` into alternatives and each alternative on
 * `/` into per-level patterns, so `^TestA$/^x$|^TestB$` selects exactly TestA/x and all of TestB.
 * A parent reported failed because a subtest failed is dropped when one of its subtests is selected:
 * re-running the parent would re-run all its subtests.
 * Known limit: one `-run` applies to every package of the user's command (e.g. `./...`), so a test with
 * the same name in another package also runs. Package paths are deliberately NOT added: go test ends
 * its package list at the first flag, and a path after the user's or our flags would turn every later
 * argument, `-run` included, into a test-binary argument that is silently ignored (everything reruns).
 */
export function goRunPattern(names: readonly string[]): string {
  const unique = uniq(names);
  const hasSelectedSubtest = (n: string): boolean => unique.some((o) => o.startsWith(`${n}/`));
  return unique
    .filter((n) => !hasSelectedSubtest(n))
    .map((n) =>
      n
        .split('/')
        .map((level) => `^${quoteMetaGo(level)}$`)
        .join('/'),
    )
    .join('|');
}

function select(tests: readonly TestRef[]): string[] {
  return tests.length === 0 ? [] : ['-run', goRunPattern(tests.map((t) => t.name))];
}

export const go: FrameworkAdapter = {
  name: 'go',
  report: (ctx) => ({ args: [], prepend: ['--junitfile', ctx.junitPath], env: {} }),
  // -p: packages built and tested in parallel; -parallel: t.Parallel() tests per package.
  threads: (ctx) => ({ args: ['-p', String(ctx.threads), '-parallel', String(ctx.threads)], env: {} }),
  select: (tests) => ({ args: select(tests), env: {} }),
  selectors: (tests) => tests.map((t) => `${t.classname}:${goRunPattern([t.name])}`),
};
