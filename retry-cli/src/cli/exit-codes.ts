import { constants } from 'node:os';
import type { Decision } from '@dozhim/core';
import { CommanderError } from 'commander';

/**
 * Every exit code of `dozhim`, in one place. Pipelines branch on these, so they are part of the
 * public contract: never renumber, only add.
 */
export const ExitCode = {
  /** All tests passed (flaky ones included unless --fail-on-flaky). */
  Passed: 0,
  /** Tests still failing when the runs were spent (or none of them may be retried). */
  Failing: 1,
  /** Usage or configuration error. */
  Usage: 2,
  /** Terminated: too many failed tests, retrying cannot help. */
  TooManyFailed: 3,
  /** Terminated: a rerun made no failing test pass. */
  NoProgress: 4,
  /** Terminated: the health check kept failing before a rerun. */
  Unhealthy: 5,
  /** Flaky tests with --fail-on-flaky. */
  Flaky: 6,
  /** Infrastructure error: command not found, crashed, or no usable report. Never retried. */
  Infrastructure: 7,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The documented table (README and `dozhim --help` print the same rows). */
export const EXIT_CODE_TABLE: readonly { code: string; meaning: string }[] = [
  { code: '0', meaning: 'all tests passed (flaky ones included unless --fail-on-flaky)' },
  { code: '1', meaning: 'tests still failing when the runs were spent' },
  { code: '2', meaning: 'usage or configuration error' },
  { code: '3', meaning: 'terminated: too many failed tests' },
  { code: '4', meaning: 'terminated: no progress (no failing test passed on a rerun)' },
  { code: '5', meaning: 'terminated: environment unhealthy (health check kept failing)' },
  { code: '6', meaning: 'flaky tests with --fail-on-flaky' },
  { code: '7', meaning: 'infrastructure error: command not found, crashed, or no usable report' },
  { code: '128+n', meaning: 'interrupted by signal n (143 = SIGTERM, 130 = SIGINT)' },
];

/** Base of the errors that end the program with a known exit code. */
export class DozhimError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends DozhimError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

export class InfrastructureError extends DozhimError {
  constructor(message: string) {
    super(message, ExitCode.Infrastructure);
  }
}

/** Shell convention: a process ended by signal n exits with 128 + n. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = constants.signals[signal] as number | undefined;
  return 128 + (n ?? 15);
}

export interface OutcomeFlags {
  failOnFlaky: boolean;
}

/**
 * Exit code for a policy decision. A `retry` decision only reaches here from `dozhim attempt`
 * (one attempt per job): tests are failing and another attempt is due, so it is 1.
 */
export function exitCodeForDecision(decision: Decision, flags: OutcomeFlags): ExitCodeValue {
  switch (decision.reason) {
    case 'all-passed':
      return decision.outcome === 'flaky' && flags.failOnFlaky ? ExitCode.Flaky : ExitCode.Passed;
    case 'too-many-failed':
      return ExitCode.TooManyFailed;
    case 'no-progress':
      return ExitCode.NoProgress;
    case 'max-runs':
    case 'nothing-retryable':
    case 'retry':
      return ExitCode.Failing;
  }
}

/**
 * Exit code for anything thrown out of the program: commander's own (help and version are 0, every
 * parse error is a usage error), our typed errors carry theirs, the rest is infrastructure.
 */
export function exitCodeForError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Passed : ExitCode.Usage;
  if (error instanceof DozhimError) return error.exitCode;
  return ExitCode.Infrastructure;
}
