import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/program.js';
import { type Deps, processDeps } from '../src/deps.js';
import { makeSuite, passing } from './harness.js';

// The program through `main` with the real dependencies except its streams and working directory.

async function program(argv: string[], over: Partial<Deps> = {}) {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    ...processDeps(),
    stdout: {
      write: (c) => {
        stdout += String(c);
      },
    },
    stderr: {
      write: (c) => {
        stderr += String(c);
      },
    },
    env: {},
    onSignal: () => () => undefined,
    ...over,
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr };
}

describe('dozhim program', () => {
  it('prints help with the exit-code table, and the version', async () => {
    const help = await program(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/3\s+terminated: too many failed tests/);
    const runHelp = await program(['run', '--help']);
    expect(runHelp.stdout).toContain('--threads-schedule <halve|8,4,2>');
    expect((await program(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it.each([
    [
      ['run', '--max-runs', 'abc', '--', 'x'],
      /--max-runs <n>' argument 'abc' is invalid. must be a whole number/,
    ],
    [['run', '--framework', 'nose', '--', 'x'], /Allowed choices are pytest, jest/],
    [['run', '--max-failed', '10 percent', '--', 'x'], /max failed must be a number/],
    [['run', '--retry-on', '(', '--', 'x'], /Invalid regular expression/],
    [['run', '--bogus', '--', 'x'], /unknown option '--bogus'/],
    [['run'], /no test command/],
    [
      ['run', '--threads', '2', '--min-threads', '4', '--', 'x'],
      /--min-threads \(4\) is larger than --threads \(2\)/,
    ],
    [['upload', '--run-id', 'r', 'f.xml'], /required option '--attempt <n>' not specified/],
  ])('exits 2 on usage errors: %j', async (argv, message) => {
    const r = await program(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('takes options from dozhim.config.json, flags winning, and reports file errors as usage errors', async () => {
    const s = await makeSuite(passing(2));
    await writeFile(
      join(s.dir, 'dozhim.config.json'),
      JSON.stringify({ command: ['node', s.suite], threads: 6, maxRuns: 2, summaryJson: 'out/summary.json' }),
    );
    const r = await program(['run', '--threads', '3', '--state-dir', join(s.dir, '.d')], { cwd: s.dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('attempt 1/2 - 3 threads, all tests');
    const summary = JSON.parse(await readFile(join(s.dir, 'out/summary.json'), 'utf8'));
    expect(summary).toMatchObject({ exitCode: 0, outcome: 'passed', line: 'FINISHED' });

    const bad = await mkdtemp(join(tmpdir(), 'dozhim-cfg-'));
    await writeFile(join(bad, 'dozhim.config.json'), '{"maxRuns": 0}');
    const r2 = await program(['run', '--', 'true'], { cwd: bad });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/dozhim.config.json maxRuns/);
  });
});
