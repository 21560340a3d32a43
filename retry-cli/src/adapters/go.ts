import { basename } from 'node:path';
import type { TestResult } from '@dozhim/core';
import { programOf } from './command.js';
import { quoteMetaGo, uniq } from './regex.js';
import type { FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { isSuiteLevelRef } from './units.js';

/**
 * go 1.19 through gotestsum 1.8: the command is `gotestsum [gotestsum flags] -- [go test args]`.
 * The report flag and the package list are gotestsum's own, so they are PREPENDED (before the user's
 * `--`); thread and selection flags are `go test` flags, appended after the user's packages.
 *
 * JUnit: `classname` = package import path, `name` = `TestA` or `TestA/sub_name` (go already replaced
 * spaces in subtest names by `_`, which is also how `-run` matches them).
 *
 * Selection: go's `-run` splits the pattern on unbracketed `|` into alternatives and each alternative on
 * `/` into per-level patterns, so `^TestA$/^x$|^TestB$` selects exactly TestA/x and all of TestB.
 * go splits a test's name on every `/` too, so a subtest named `a/b` is matched as the levels `a`, `b`:
 * `^T$/^a$/^b$` runs it and, if a sibling subtest is named `a`, that sibling's body (not its other
 * subtests). A parent reported failed because a subtest failed is dropped when one of its subtests is
 * selected: re-running the parent would re-run all its subtests.
 *
 * Packages: a rerun runs only the failing tests' packages, through gotestsum's `--packages` (the last
 * one given wins, so a user's own `--packages ./...` is narrowed). Packages written after the user's
 * `--` cannot be narrowed that way (go test ends its package list at the first flag): they all run
 * again, and only the selected tests' results count.
 *
 * Parents: gotestsum reports the parent of a failing subtest as failed too. That failure is the
 * subtest's, so normalize() drops such a parent (it is not a test of its own that failed), and on a
 * rerun a selected subtest's parents count (they ran, and a parent failing by itself stays visible).
 * A suite-level `<init>` result (a package that failed to build or whose TestMain failed) re-runs its
 * package whole.
 *
 * Repeats: `retries`, how gotestsum `--rerun-fails` writes its reruns; with `-count=N` pass
 * `--junit-repeats executions`.
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

const isAncestor = (parent: string, child: string): boolean => child.startsWith(`${parent}/`);

function unitOf(ref: TestRef): TestUnit | undefined {
  const pkg = ref.classname;
  if (isSuiteLevelRef(ref)) {
    return { label: `package ${pkg}`, groupFailure: true, covers: (r) => r.classname === pkg };
  }
  if (!ref.name.includes('/')) return undefined;
  return {
    label: `${ref.name} and its parent tests`,
    groupFailure: false,
    covers: (r) => r.classname === pkg && (r.name === ref.name || isAncestor(r.name, ref.name)),
  };
}

const failing = (r: TestResult): boolean => r.status === 'failed' || r.status === 'error';

/** Drops a failed parent test whose failure is that of a failed subtest in the same package. */
export function dropExplainedParents(results: TestResult[]): TestResult[] {
  const failed = results.filter(failing);
  return results.filter(
    (r) =>
      !failing(r) ||
      !failed.some((c) => c !== r && c.classname === r.classname && isAncestor(r.name, c.name)),
  );
}

function select(tests: readonly TestRef[]): string[] {
  if (tests.length === 0) return [];
  // A whole package cannot be expressed in the one `-run` of all packages: then run them whole.
  if (tests.some(isSuiteLevelRef)) return [];
  return ['-run', goRunPattern(tests.map((t) => t.name))];
}

const packages = (tests: readonly TestRef[]): string[] => uniq(tests.map((t) => t.classname).filter(Boolean));

/** The preset drives gotestsum (its --junitfile and --packages); plain `go test` writes no JUnit. */
export function goPreflight(command: readonly string[]): string | undefined {
  const program = basename(programOf(command));
  if (program === 'gotestsum') return undefined;
  return `--framework go needs gotestsum (go test writes no JUnit report): run \`gotestsum [--packages ./...] -- <go test args>\`, not \`${program} ...\` (Debian: apt-get install gotestsum)`;
}

export const go: FrameworkAdapter = {
  name: 'go',
  repeats: 'retries',
  preflight: goPreflight,
  unitOf,
  normalize: dropExplainedParents,
  report: (ctx) => ({ args: [], prepend: ['--junitfile', ctx.junitPath], env: {} }),
  // -p: packages built and tested in parallel; -parallel: t.Parallel() tests per package.
  threads: (ctx) => ({ args: ['-p', String(ctx.threads), '-parallel', String(ctx.threads)], env: {} }),
  select: (tests) => {
    const pkgs = packages(tests);
    return {
      args: select(tests),
      ...(pkgs.length > 0 ? { prepend: ['--packages', pkgs.join(' ')] } : {}),
      env: {},
    };
  },
  selectors: (tests) => tests.map((t) => `${t.classname}:${goRunPattern([t.name])}`),
};
