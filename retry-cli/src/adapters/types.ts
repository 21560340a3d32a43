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
   * Globs (relative to cwd) where the framework writes its reports when it cannot be told to write to
   * ctx.junitPath (Maven Surefire, Gradle): the run loop uses them when `--junit` is not given, and must
   * only take files modified during this attempt. Absent when `report()` directs output to ctx.junitPath.
   */
  reportGlobs?: string[];
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
