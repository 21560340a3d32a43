/** Normalized test result model shared by every part of dozhim. */

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

/** A failure or error that a producer recorded as a retry of the same test (Surefire/Gradle style). */
export type RetryEvidenceKind = 'flakyFailure' | 'flakyError' | 'rerunFailure' | 'rerunError';

export interface RetryEvidence {
  kind: RetryEvidenceKind;
  message?: string;
  type?: string;
  details?: string;
  stdout?: string;
  stderr?: string;
  durationMs?: number;
}

/** One test case as read from a JUnit XML file, normalized across producers. */
export interface TestResult {
  /** Canonical test id, see identity.ts. Stable across runs, attempts and shards. */
  id: string;
  suite: string;
  classname: string;
  name: string;
  file?: string;
  line?: number;
  /** Playwright project (its `<testsuite hostname>`); part of the id. Only set when non-empty. */
  project?: string;
  status: TestStatus;
  durationMs: number;
  message?: string;
  type?: string;
  /** Stack trace or body text of the failure/error/skipped element. */
  details?: string;
  stdout?: string;
  stderr?: string;
  /**
   * From the testcase and its enclosing suites. The reader gives results without properties of their
   * own one shared, frozen object (read-only: assign a new object rather than changing it).
   */
  properties: Record<string, string>;
  /**
   * Other failed tries of this test recorded in the same report (flaky/rerun elements, repeated
   * testcases): `flaky*` came before a pass, `rerun*` after the failure shown in message/details.
   * From the reader, an empty list is one shared, frozen array (read-only, as `properties`).
   */
  retries: RetryEvidence[];
  /**
   * How many executions of this id one report held that were not retries (TestNG data providers,
   * repeated JUnit 5 tests, `--repeat-each`): they are folded into this one result, which fails if any
   * failed. Only set when more than 1. See `ReadOptions.repeats`.
   */
  executions?: number;
}

export interface StatusCounts {
  total: number;
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

/** All results of one attempt of a run (possibly merged from several shards/files). */
export interface Attempt {
  /** 1-based attempt number. */
  number: number;
  threads?: number;
  /** Test ids selected for this attempt; undefined means "the whole suite" (first attempt). */
  selected?: string[];
  results: TestResult[];
}
