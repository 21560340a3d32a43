import type { Attempt, TestResult, TestStatus } from '../src/model.js';

/** A minimal TestResult for policy/state tests: id `<cls>::<name>` with the given status. */
export function result(id: string, status: TestStatus, extra: Partial<TestResult> = {}): TestResult {
  const [classname = '', name = id] = id.includes('::') ? id.split('::') : ['', id];
  return {
    id,
    suite: 'suite',
    classname,
    name,
    status,
    durationMs: 1,
    properties: {},
    retries: [],
    ...extra,
  };
}

/** `ids('t', 3)` → ['t::1', 't::2', 't::3']. */
export const ids = (prefix: string, n: number, from = 1): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}::${from + i}`);

/** An attempt where `failed` ids fail and `passed` ids pass. */
export function attempt(
  number: number,
  threads: number,
  spec: { passed?: string[]; failed?: string[]; error?: string[]; skipped?: string[] },
  extra: Partial<Attempt> = {},
): Attempt {
  const results = [
    ...(spec.passed ?? []).map((id) => result(id, 'passed')),
    ...(spec.failed ?? []).map((id) =>
      result(id, 'failed', { message: 'AssertionError: boom', type: 'AssertionError' }),
    ),
    ...(spec.error ?? []).map((id) =>
      result(id, 'error', { message: 'ConnectionError: 503', type: 'ConnectionError' }),
    ),
    ...(spec.skipped ?? []).map((id) => result(id, 'skipped')),
  ];
  return { number, threads, results, ...extra };
}
