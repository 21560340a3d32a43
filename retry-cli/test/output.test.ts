import { describe, expect, it } from 'vitest';
import {
  attemptHeader,
  createPrinter,
  createStyle,
  decisionLine,
  formatDuration,
  sectionEnd,
  sectionStart,
  summaryText,
  useColor,
} from '../src/output/output.js';

const ESC = '\x1b[';
const header = { attempt: 2, maxRuns: 3, threads: 4, selected: 12, command: 'pytest -n 4' };

describe('colour', () => {
  it('is used only on a TTY and never with NO_COLOR', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(undefined, {})).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
    // FORCE_COLOR turns colour on without a TTY (CI logs) and wins over NO_COLOR, as in Node; 0/false do not.
    expect(useColor(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(false, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(useColor(false, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor(true, { FORCE_COLOR: 'false', NO_COLOR: '1' })).toBe(false);
  });

  it('plain style adds no escape codes; colour style does', () => {
    expect(attemptHeader(header, createStyle(false))).not.toContain(ESC);
    expect(attemptHeader(header, createStyle(true))).toContain(ESC);
    expect(decisionLine('TERMINATED - no test passed after retry', createStyle(true))).toContain(`${ESC}31m`);
    expect(decisionLine('FINISHED', createStyle(true))).toContain(`${ESC}32m`);
  });

  it('the printer follows the stream it writes to', () => {
    const out: string[] = [];
    const tty = { write: (s: string | Uint8Array) => out.push(String(s)), isTTY: true };
    const printer = createPrinter({ stdout: tty, stderr: tty, env: {} });
    printer.info(decisionLine('FINISHED', printer.style));
    expect(out.join('')).toContain(ESC);
    const piped = createPrinter({
      stdout: { write: () => undefined },
      stderr: { write: () => undefined },
      env: {},
    });
    expect(piped.style.red('x')).toBe('x');
  });
});

describe('attempt header and decision', () => {
  it('names attempt n/N, threads and how many tests are selected', () => {
    const text = attemptHeader(header, createStyle(false));
    expect(text).toBe('==> dozhim: attempt 2/3 - 4 threads, 12 tests selected\n$ pytest -n 4\n');
    const first = attemptHeader(
      { ...header, attempt: 1, threads: 1, selected: undefined },
      createStyle(false),
    );
    expect(first).toContain('attempt 1/3 - 1 thread, all tests');
  });

  it('prints the decision line in the pipelines words', () => {
    expect(decisionLine('TERMINATED - too many failed tests: 57 > 40', createStyle(false))).toBe(
      'dozhim: TERMINATED - too many failed tests: 57 > 40\n',
    );
  });
});

describe('GitLab sections', () => {
  it('uses the collapsible section markers', () => {
    expect(sectionStart('dozhim_attempt_1', 'attempt 1', 1700000000.7)).toBe(
      '\x1b[0Ksection_start:1700000000:dozhim_attempt_1[collapsed=true]\r\x1b[0Kattempt 1\n',
    );
    expect(sectionStart('s', 't', 1, false)).toBe('\x1b[0Ksection_start:1:s\r\x1b[0Kt\n');
    expect(sectionEnd('dozhim_attempt_1', 1700000005)).toBe(
      '\x1b[0Ksection_end:1700000005:dozhim_attempt_1\r\x1b[0K\n',
    );
  });
});

describe('summary', () => {
  const view = {
    runId: 'r1',
    rows: [
      { attempt: 1, threads: 8, total: 100, passed: 90, failed: 10, skipped: 0, durationMs: 61_500 },
      { attempt: 2, threads: 4, selected: 10, total: 10, passed: 9, failed: 1, skipped: 0, durationMs: 4200 },
    ],
    flaky: ['a::x', 'a::y'],
    failing: ['b::z'],
    quarantined: [],
    line: 'FINISHED - max runs reached, 1 test still failing',
    localModeReason: 'reporter failed while trying to create the run: unreachable',
    runUrl: undefined,
    reportPath: '/tmp/r.xml',
  };

  it('has a table of attempts, the flaky and still-failing tests, and repeats local mode', () => {
    const text = summaryText(view, createStyle(false));
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/attempt\s+threads\s+selected\s+total\s+passed\s+failed\s+skipped\s+duration/);
    expect(lines[2]).toMatch(/1\s+8\s+all\s+100\s+90\s+10\s+0\s+1m02s/);
    expect(lines[3]).toMatch(/2\s+4\s+10\s+10\s+9\s+1\s+0\s+4\.2s/);
    expect(text).toContain('flaky tests (passed only on a rerun) (2):\n  a::x\n  a::y');
    expect(text).toContain('still failing (1):\n  b::z');
    expect(text).toContain('WARNING: local mode - reporter failed');
    expect(text).not.toContain(ESC);
  });

  it('formats durations', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});
