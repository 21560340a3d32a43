// The generic adapter passes canonical ids as data: a test whose name holds quotes, brackets, unicode,
// regex and shell syntax is re-run exactly, whether the command is argv (no shell) or one shell string
// (dozhim quotes every substituted value), and nothing in the name is ever executed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dozhim,
  GENERATED_SUITE,
  ranLog,
  readSummary,
  removeDir,
  requireBuilt,
  scratchRun,
} from './helpers.js';

const dirs: string[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

const SUITE_OPTS = ['--tests', '4', '--fail', '1', '--hostile'];

describe.each([
  [
    'argv',
    (): string[] => [process.execPath, GENERATED_SUITE, '--junit', '{junit}', ...SUITE_OPTS, '{tests}'],
  ],
  [
    'one shell string',
    (): string[] => [
      `'${process.execPath}' '${GENERATED_SUITE}' --junit {junit} ${SUITE_OPTS.join(' ')} {tests}`,
    ],
  ],
])('generic command as %s', (_mode, command) => {
  it('re-runs exactly the hostile-named test, and runs nothing from its name', async () => {
    const s = scratchRun('generic');
    dirs.push(s.root);
    const proc = await dozhim(['run', ...s.args(), '--', ...command()], {
      cwd: s.root,
      env: { SAMPLE_STATE_DIR: s.sampleState },
    });
    expect(proc.code, proc.stdout + proc.stderr).toBe(0);
    const lines = ranLog(s.sampleState);
    expect(lines).toHaveLength(5);
    const hostile = lines[0]!;
    expect(hostile).toMatch(/^gen::t001 hostile ".*\$\(touch pwned\)/);
    expect(lines.slice(4)).toEqual([hostile]);
    expect(readSummary(s.summary).flaky).toEqual([hostile]);
    expect(existsSync(join(s.root, 'pwned'))).toBe(false);
  });
});
