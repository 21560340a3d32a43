// CONTRACT between the run loop (retry-cli/src/*) and the framework adapters (retry-cli/src/adapters/*).

export type FrameworkName = 'pytest' | 'jest' | 'vitest' | 'playwright' | 'mocha' | 'go' | 'maven' | 'gradle' | 'generic';

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
}

export interface FrameworkAdapter {
  name: FrameworkName;
  /** How to make the framework write its JUnit report to ctx.junitPath (args and/or env). */
  report(ctx: AdapterContext): CommandAdditions;
  /** How to pass the thread count (empty when the framework has no such knob). */
  threads(ctx: AdapterContext): CommandAdditions;
  /**
   * Exact selection of `tests` for a rerun, as argv elements (the `{tests}` placeholder).
   * Must run those tests and no others; names are data, never regex or shell syntax.
   */
  select(tests: readonly TestRef[], ctx: AdapterContext): CommandAdditions;
  /** One selector per test, for `{testList}` (comma-joined by the caller), e.g. `Class#method`. */
  selectors(tests: readonly TestRef[], ctx: AdapterContext): string[];
}
