import { describe, expect, it } from 'vitest';
import { applyAdditions } from '../../src/adapters/command.js';
import { go, goRunPattern } from '../../src/adapters/go.js';
import { ref } from './hostile.js';

const ctx = { cwd: '/repo', junitPath: '/tmp/j.xml', threads: 2 };

describe('go adapter', () => {
  it('anchors every level and escapes RE2 metacharacters like regexp.QuoteMeta', () => {
    expect(goRunPattern(['TestA'])).toBe('^TestA$');
    expect(goRunPattern(['TestA/with_[1]_(x)_.*+?^$|{}\\_é'])).toBe(
      '^TestA$/^with_\\[1\\]_\\(x\\)_\\.\\*\\+\\?\\^\\$\\|\\{\\}\\\\_é$',
    );
  });

  it('joins tests with top-level alternation and drops a parent whose subtest is selected', () => {
    expect(goRunPattern(['TestA', 'TestA/x', 'TestB', 'TestAB/y', 'TestB'])).toBe(
      '^TestA$/^x$|^TestB$|^TestAB$/^y$',
    );
  });

  it('passes -run after the user packages (no package paths there: they would end go test flag parsing), --junitfile and the failing packages (--packages) before the user separator', () => {
    const tests = [ref('example.com/m/b', 'TestB'), ref('example.com/m/a', 'TestA/sub')];
    const argv = applyAdditions(
      ['gotestsum', '--', '-count=1', './...'],
      [go.report(ctx), go.threads(ctx), go.select(tests, ctx)],
    );
    expect(argv).toEqual([
      'gotestsum',
      '--junitfile',
      '/tmp/j.xml',
      '--packages',
      'example.com/m/b example.com/m/a',
      '--',
      '-count=1',
      './...',
      '-p',
      '2',
      '-parallel',
      '2',
      '-run',
      '^TestB$|^TestA$/^sub$',
    ]);
  });
});
