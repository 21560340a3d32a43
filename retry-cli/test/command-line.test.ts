import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  buildCommand,
  expandArgv,
  expandShell,
  isShellCommand,
  type PlaceholderValues,
  placeholderEnv,
  placeholdersUsed,
  shellQuote,
} from '../src/loop/command-line.js';

const NASTY = `it's "quoted" [param-1] ünï $(touch /tmp/pwned) \`id\` ; rm -rf / | (a|b).*`;

const values = (over: Partial<PlaceholderValues> = {}): PlaceholderValues => ({
  threads: 4,
  tests: ['suite::a b', NASTY],
  testList: ['Cls#a', 'Cls#b'],
  attempt: 2,
  runId: 'team/pipe:1',
  junit: '/tmp/x y/junit.xml',
  shardIndex: 2,
  shardTotal: 3,
  ...over,
});

const NONE = { args: [], env: {} };
const adapter = {
  report: { args: ['--junit', '/r.xml'], env: { REPORT: '1' } },
  threads: { args: ['-n', '4'], env: {} },
  select: { args: ['sel 1', 'sel2'], env: { SEL: 'yes' } },
};

/** What /bin/sh really passes as argv for a script: the ground truth for quoting. */
const shellArgv = (script: string): string[] =>
  JSON.parse(execFileSync('/bin/sh', ['-c', `${script}`], { encoding: 'utf8' })) as string[];

describe('placeholders', () => {
  it('finds the placeholders used', () => {
    expect([...placeholdersUsed(['pytest', '-n', '{threads}', '--x={junit}', '{tests}'])].sort()).toEqual([
      'junit',
      'tests',
      'threads',
    ]);
    expect(placeholdersUsed(['npm', 'test', '{unknown}']).size).toBe(0);
  });

  it('expands argv: {tests} alone becomes one element per selection argument, none on attempt 1', () => {
    expect(expandArgv(['run', '{tests}', '-n', '{threads}', '--id={runId}/{attempt}'], values())).toEqual([
      'run',
      'suite::a b',
      NASTY,
      '-n',
      '4',
      '--id=team/pipe:1/2',
    ]);
    expect(
      expandArgv(['run', '{tests}', '-PtestList={testList}'], values({ tests: [], testList: [] })),
    ).toEqual(['run', '-PtestList=']);
    expect(expandArgv(['x', '-PtestList={testList}'], values())).toEqual(['x', '-PtestList=Cls#a,Cls#b']);
  });

  it('quotes every substituted value in shell mode so names stay literal', () => {
    const script = expandShell(
      'node -e "console.log(JSON.stringify(process.argv.slice(1)))" {tests} {junit} {runId}',
      values(),
    );
    expect(shellArgv(script)).toEqual(['suite::a b', NASTY, '/tmp/x y/junit.xml', 'team/pipe:1']);
  });

  it('shell-quotes any string so sh reads it back unchanged', () => {
    for (const s of ['', 'plain', "it's", NASTY, 'a\nb', '--flag=value with space']) {
      const script = `node -e "console.log(JSON.stringify(process.argv.slice(1)))" -- ${shellQuote(s)}`;
      expect(shellArgv(script)).toEqual([s]);
    }
  });

  it('exports the values as DOZHIM_* variables', () => {
    expect(placeholderEnv(values(), '/tmp/tests.txt')).toEqual({
      DOZHIM_THREADS: '4',
      DOZHIM_TESTS: `suite::a b\n${NASTY}`,
      DOZHIM_TEST_LIST: 'Cls#a,Cls#b',
      DOZHIM_ATTEMPT: '2',
      DOZHIM_RUN_ID: 'team/pipe:1',
      DOZHIM_JUNIT: '/tmp/x y/junit.xml',
      DOZHIM_SHARD_INDEX: '2',
      DOZHIM_SHARD_TOTAL: '3',
      DOZHIM_TESTS_FILE: '/tmp/tests.txt',
    });
  });

  it('leaves a selection too long for one environment string to DOZHIM_TESTS_FILE', () => {
    const many = Array.from(
      { length: 2000 },
      (_, i) => `com.example.SomeLongClassName::test_number_${i}_of_many`,
    );
    const env = placeholderEnv(values({ tests: many, testList: many }), '/tmp/tests.txt');
    expect(env.DOZHIM_TESTS).toBe('');
    expect(env.DOZHIM_TEST_LIST).toBe('');
    expect(env.DOZHIM_TESTS_TRUNCATED).toBe('1');
    expect(env.DOZHIM_TESTS_FILE).toBe('/tmp/tests.txt');
  });
});

describe('buildCommand', () => {
  it('tells a shell string from argv', () => {
    expect(isShellCommand(['npm test'])).toBe(true);
    expect(isShellCommand(['npm', 'test'])).toBe(false);
    expect(isShellCommand(['pytest'])).toBe(false);
  });

  it('without placeholders appends the adapter report, threads and selection args and merges env', () => {
    const spec = buildCommand(['pytest', 'tests/'], values(), adapter, { DOZHIM_ATTEMPT: '2' });
    expect(spec.file).toBe('pytest');
    expect(spec.args).toEqual(['tests/', '--junit', '/r.xml', '-n', '4', 'sel 1', 'sel2']);
    expect(spec.env).toEqual({ DOZHIM_ATTEMPT: '2', REPORT: '1', SEL: 'yes' });
  });

  it('puts prepend additions before the user `--` (gotestsum style)', () => {
    const spec = buildCommand(['gotestsum', '--', './...'], values(), {
      report: { args: [], prepend: ['--junitfile', '/r.xml'], env: {} },
      threads: NONE,
    });
    expect([spec.file, ...spec.args]).toEqual(['gotestsum', '--junitfile', '/r.xml', '--', './...']);
  });

  it('adds each adapter part unless its own placeholder places it, and always all the env', () => {
    const withTests = buildCommand(['pytest', '-n', '{threads}', '{tests}'], values(), adapter);
    expect(withTests.args).toEqual(['-n', '4', 'suite::a b', NASTY, '--junit', '/r.xml']);
    expect(withTests.env).toEqual({ REPORT: '1', SEL: 'yes' });
    const withJunit = buildCommand(['pytest', '--junitxml={junit}', '{tests}'], values(), adapter);
    expect(withJunit.args).toEqual(['--junitxml=/tmp/x y/junit.xml', 'suite::a b', NASTY, '-n', '4']);
    expect(withJunit.env).toEqual({ REPORT: '1', SEL: 'yes' });
    // Only {threads} placed: the report and the rerun selection are still added.
    const threadsOnly = buildCommand(['pytest', '-n', '{threads}'], values(), adapter);
    expect(threadsOnly.args).toEqual(['-n', '4', '--junit', '/r.xml', 'sel 1', 'sel2']);
    // {testList} places the selection (e.g. -PtestList=...): no selection args are appended.
    const testList = buildCommand(
      ['gradle', 'test', '-PtestList={testList}', '--junit={junit}'],
      values(),
      adapter,
    );
    expect(testList.args).toEqual([
      'test',
      '-PtestList=Cls#a,Cls#b',
      '--junit=/tmp/x y/junit.xml',
      '-n',
      '4',
    ]);
  });

  it('runs one string through sh -c with the additions quoted', () => {
    const spec = buildCommand(['node -e "console.log(JSON.stringify(process.argv.slice(1)))"'], values(), {
      report: NONE,
      threads: NONE,
      select: { args: [NASTY], env: {} },
    });
    expect(spec.file).toBe('/bin/sh');
    expect(spec.args[0]).toBe('-c');
    expect(shellArgv(spec.args[1]!)).toEqual([NASTY]);
  });
});
