import { decide, type TestResult } from '@dozhim/core';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  EXIT_CODE_TABLE,
  ExitCode,
  exitCodeForDecision,
  exitCodeForError,
  InfrastructureError,
  signalExitCode,
  UsageError,
} from '../src/cli/exit-codes.js';

const r = (name: string, status: TestResult['status']): TestResult => ({
  id: `s::${name}`,
  suite: 's',
  classname: 's',
  name,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
});

describe('exit codes', () => {
  it('maps real policy decisions to the documented codes', () => {
    const passed = decide([{ number: 1, results: [r('a', 'passed')] }]);
    const flaky = decide([
      { number: 1, results: [r('a', 'failed')] },
      { number: 2, results: [r('a', 'passed')] },
    ]);
    const tooMany = decide([{ number: 1, results: [r('a', 'failed'), r('b', 'failed')] }], {
      maxFailed: { kind: 'count', value: 1 },
    });
    const noProgress = decide([
      { number: 1, results: [r('a', 'failed')] },
      { number: 2, results: [r('a', 'failed')] },
    ]);
    const spent = decide([{ number: 1, results: [r('a', 'failed')] }], { maxRuns: 1 });
    const retry = decide([{ number: 1, results: [r('a', 'failed')] }]);
    const off = { failOnFlaky: false };
    expect(exitCodeForDecision(passed, off)).toBe(0);
    expect(exitCodeForDecision(flaky, off)).toBe(0);
    expect(exitCodeForDecision(flaky, { failOnFlaky: true })).toBe(6);
    expect(exitCodeForDecision(passed, { failOnFlaky: true })).toBe(0);
    expect(exitCodeForDecision(tooMany, off)).toBe(3);
    expect(exitCodeForDecision(noProgress, off)).toBe(4);
    expect(exitCodeForDecision(spent, off)).toBe(1);
    expect(exitCodeForDecision(retry, off)).toBe(1);
  });

  it('maps errors: commander help/version 0, parse errors and usage 2, infrastructure and unknown 7', () => {
    expect(exitCodeForError(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(0);
    expect(exitCodeForError(new CommanderError(1, 'commander.unknownOption', ''))).toBe(2);
    expect(exitCodeForError(new UsageError('x'))).toBe(ExitCode.Usage);
    expect(exitCodeForError(new InfrastructureError('x'))).toBe(ExitCode.Infrastructure);
    expect(exitCodeForError(new Error('x'))).toBe(ExitCode.Infrastructure);
  });

  it('uses 128+n for signals', () => {
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGINT')).toBe(130);
  });

  it('documents every code in one table', () => {
    expect(EXIT_CODE_TABLE.map((row) => row.code)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '128+n']);
  });
});
