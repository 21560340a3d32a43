import type { RepeatRule, TestResult } from '@dozhim/core';

// CONTRACT between the run loop (retry-cli/src/*) and the framework adapters (retry-cli/src/adapters/*).

export type FrameworkName =
  | 'pytest'
  | 'jest'
  | 'vitest'
  | 'playwright'
  | 'mocha'
  | 'go'
  | 'maven'
  | 'gradle'
  | 'generic';

/** What an adapter knows of a test to select it again: taken from the previous attempt's result. */
export interface TestRef {
  /** Canonical id (core identity.ts): `<classname or file or suite>::<name>`. */
  id: string;
  suite: string;
  classname: string;
  name: string;
  file?: string;
  /** Playwright's project (core's `TestResult.project`), part of the id and of the selection. */
  project?: string;
  /**
   * The result's JUnit properties, when the caller has them (Playwright marks serial-mode tests with a
   * `serial` property). Optional: a unit that needs them falls back to the smaller unit without.
   */
  properties?: Readonly<Record<string, string>>;
}

/** How a framework's report writes a test that appears more than once (core's `ReadOptions.repeats`). */
export type { RepeatRule } from '@dozhim/core';

/**
 * The smallest group of tests that must be re-run together because a failure belongs to the group,
 * not to one test: a hook or fixture setup, a collection/import error, a serial group, core's
 * suite-level `<init>` result. Its tests are selected together and all their results count on the
 * rerun, even though their ids were not selected one by one.
 */
export interface TestUnit {
  /** For messages: `describe "hooked" in tests/hook.spec.mjs`. */
  label: string;
  /**
   * True when the failing ref is a record of the group itself (hook, collection error, `<init>`), which
   * a passing run of the group does not report again; false when it is a real test of the group (the
   * first failed test of a serial group), which reports its own result.
   */
  groupFailure: boolean;
  /** Whether a reported result belongs to the unit (its result counts on the rerun). */
  covers(result: TestRef): boolean;
  /**
   * Set when the unit cannot be selected on its own (e.g. an xdist worker's collection mismatch): the
   * rerun is an infrastructure error naming this reason, never a silent partial rerun.
   */
  unrunnable?: string;
}

export interface AdapterContext {
  /** Working directory of the test command (to resolve module paths / files). */
  cwd: string;
  /** Fresh, attempt-specific JUnit report path the framework must write to. */
  junitPath: string;
  threads: number;
}

/** Extra argv and env the adapter adds to the user's command. Values are argv elements, never shell text. */
export interface CommandAdditions {
  args: string[];
  env: Record<string, string>;
  /**
   * Argv elements that must come BEFORE the user's own arguments rather than after them: they go in front
   * of the user's first `--` (e.g. gotestsum's `--junitfile`, whose `--` starts the `go test` arguments),
   * or right after the program name when there is no `--`. Use `applyAdditions()` (command.ts) to build argv.
   */
  prepend?: string[];
}

export interface FrameworkAdapter {
  name: FrameworkName;
  /**
   * How the producer writes a test seen twice in one report: `retries` (Playwright, gotestsum
   * `--rerun-fails`: the repeats are tries of one test) or `executions` (distinct executions: any
   * failure fails). `--junit-repeats` overrides it.
   */
  repeats: RepeatRule;
  /**
   * The unit a failing result belongs to when the failure is not one test's own (see TestUnit), or
   * undefined for an ordinary test, which is selected and counted alone. `select()` selects the units
   * of the refs it is given; the run loop counts the units' results (execute-attempt.ts).
   */
  unitOf(ref: TestRef): TestUnit | undefined;
  /**
   * Fixes what the producer writes before ids are compared (e.g. jest-junit's leading separator on a
   * top-level test, go's parent tests whose failure is their subtests'). Pure; absent: unchanged.
   */
  normalize?(results: TestResult[]): TestResult[];
  /**
   * Globs (relative to cwd) where the framework writes its reports when it cannot be told to write to
   * ctx.junitPath (Maven Surefire, Gradle): the run loop uses them when `--junit` is not given, and must
   * only take files modified during this attempt. Absent when `report()` directs output to ctx.junitPath.
   */
  reportGlobs?: string[];
  /**
   * Why the preset cannot work with the user's command (`--framework go` without gotestsum), or
   * undefined. Checked before an attempt is started; a reason is a usage error (exit 2). May look at
   * the machine (whether a plugin is installed), so it is the one hook allowed to spawn a probe.
   */
  preflight?(command: readonly string[], ctx: AdapterContext): string | undefined;
  /**
   * Why the command's exit status says the run stopped before running the tests it was given
   * (pytest's exit 2: interrupted by a collection error or a KeyboardInterrupt), or undefined. Its
   * report then says nothing about the tests that did not run: an infrastructure error (exit 7).
   */
  incomplete?(exitCode: number | null): string | undefined;
  /** How to make the framework write its JUnit report to ctx.junitPath (args and/or env). */
  report(ctx: AdapterContext): CommandAdditions;
  /** How to pass the thread count (empty when the framework has no such knob). */
  threads(ctx: AdapterContext): CommandAdditions;
  /**
   * Exact selection of `tests` for a rerun, as argv elements (the `{tests}` placeholder).
   * Must run those tests and no others; names are data, never regex or shell syntax.
   * Note for the run loop: jest and vitest still LIST the tests filtered out by a name pattern, as
   * skipped, in the rerun's JUnit; only the selected ids' results should be taken from a rerun.
   * The returned env is part of the selection (pytest loads its deselecting plugin through it): apply it
   * whenever the args are used, including through `{tests}`. pytest writes that plugin next to
   * ctx.junitPath; with an empty junitPath nothing is written and only node ids are returned.
   */
  select(tests: readonly TestRef[], ctx: AdapterContext): CommandAdditions;
  /** One selector per test, for `{testList}` (comma-joined by the caller), e.g. `Class#method`. */
  selectors(tests: readonly TestRef[], ctx: AdapterContext): string[];
}
