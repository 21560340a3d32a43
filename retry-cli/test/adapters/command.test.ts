import { describe, expect, it } from 'vitest';
import { applyAdditions, mergeEnv } from '../../src/adapters/index.js';

describe('applyAdditions', () => {
  it('appends args and puts prepend before the user separator', () => {
    const argv = applyAdditions(
      ['gotestsum', '--format', 'testname', '--', './...', '-count=1'],
      [
        { args: ['-p', '2'], prepend: ['--junitfile', '/tmp/a b.xml'], env: {} },
        { args: ['-run', '^TestA$'], env: {} },
      ],
    );
    expect(argv).toEqual([
      'gotestsum',
      '--format',
      'testname',
      '--junitfile',
      '/tmp/a b.xml',
      '--',
      './...',
      '-count=1',
      '-p',
      '2',
      '-run',
      '^TestA$',
    ]);
  });

  it('puts prepend right after the program when there is no separator', () => {
    expect(applyAdditions(['gotestsum'], [{ args: ['x'], prepend: ['--junitfile', 'j'], env: {} }])).toEqual([
      'gotestsum',
      '--junitfile',
      'j',
      'x',
    ]);
  });

  it('leaves the user argv untouched without additions, and merges env with later winning', () => {
    expect(applyAdditions(['a', '--', 'b'], [])).toEqual(['a', '--', 'b']);
    expect(
      mergeEnv([
        { args: [], env: { A: '1', B: '1' } },
        { args: [], env: { B: '2' } },
      ]),
    ).toEqual({ A: '1', B: '2' });
  });
});
