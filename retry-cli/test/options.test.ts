import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestResult } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import { getAdapter } from '../src/adapters/index.js';
import { UsageError } from '../src/cli/exit-codes.js';
import {
  collectRegex,
  type OptionLayer,
  parseCount,
  parseMaxFailedFlag,
  parseRunId,
  parseScheduleFlag,
  parseSeconds,
  parseUrl,
} from '../src/cli/option-table.js';
import { loadConfigFile, parseConfigFile, resolveOptions } from '../src/cli/options.js';
import { nativeIdsOf, parseQuarantine, Quarantine } from '../src/cli/quarantine.js';

const resolve = (cli: OptionLayer, file = {}, env = {}) =>
  resolveOptions({ cli, file, env, cwd: '/work', command: ['npm', 'test'] });

describe('options: flags > env > config file > defaults', () => {
  it('has the documented defaults', () => {
    const o = resolve({});
    expect(o.framework).toBe('generic');
    expect(o.policy.maxRuns).toBe(3);
    expect(o.policy.maxFailed).toEqual({ kind: 'count', value: 40 });
    expect(o.policy.threads).toBe(1);
    expect(o.policy.schedule).toEqual({ kind: 'halve' });
    expect(o.policy.minThreads).toBe(1);
    expect(o.policy.stopOnNoProgress).toBe(true);
    expect(o.failOnFlaky).toBe(false);
    expect(o.healthTimeoutMs).toBe(60_000);
    expect(o.reportPath).toBe('/work/dozhim-report.xml');
    expect(o.stateDir).toBe('/work/.dozhim');
    expect(o.shard).toBe('default');
    expect(o.reporterBudgetMs).toBe(30_000);
  });

  it('lets the file override defaults and flags override the file', async () => {
    const file = await parseConfigFile(
      JSON.stringify({ maxRuns: 5, threads: 8, maxFailed: '10%', framework: 'pytest', retryOn: ['Timeout'] }),
      'dozhim.config.json',
    );
    const fromFile = resolve({}, file);
    expect(fromFile.policy.maxRuns).toBe(5);
    expect(fromFile.policy.threads).toBe(8);
    expect(fromFile.policy.maxFailed).toEqual({ kind: 'percent', value: 10 });
    expect(fromFile.framework).toBe('pytest');
    expect(fromFile.policy.retryOn.map(String)).toEqual(['/Timeout/']);
    const flags = resolve({ maxRuns: 2, threads: 4, framework: 'jest' }, file);
    expect(flags.policy.maxRuns).toBe(2);
    expect(flags.policy.threads).toBe(4);
    expect(flags.framework).toBe('jest');
    expect(flags.policy.maxFailed).toEqual({ kind: 'percent', value: 10 });
  });

  it('reads the reporter, token and retry budget from the environment, below flags', () => {
    const env = { DOZHIM_REPORTER_URL: 'http://env:1', DOZHIM_TOKEN: 't', DOZHIM_REPORTER_TIMEOUT: '2' };
    const o = resolve({}, { reporter: 'http://file:1' }, env);
    expect(o.reporterUrl).toBe('http://env:1');
    expect(o.token).toBe('t');
    expect(o.reporterBudgetMs).toBe(2000);
    expect(resolve({ reporter: 'http://flag:1' }, {}, env).reporterUrl).toBe('http://flag:1');
  });

  it('takes the first attempt threads from an explicit schedule', () => {
    const o = resolve({ threadsSchedule: '8,4,2' });
    expect(o.policy.schedule).toEqual({ kind: 'list', threads: [8, 4, 2] });
    expect(o.policy.threads).toBe(8);
  });

  it('uses the config file command when none follows --', () => {
    const o = resolveOptions({
      cli: {},
      file: { command: 'npm test -- {tests}' },
      env: {},
      cwd: '/w',
      command: [],
    });
    expect(o.command).toEqual(['npm test -- {tests}']);
  });

  it('checks what spans several options', () => {
    expect(() => resolve({ threads: 2, minThreads: 4 })).toThrow(
      /--min-threads \(4\) is larger than --threads \(2\)/,
    );
    expect(() => resolve({}, { maxFailed: '120%' })).toThrow(UsageError);
    expect(() => resolve({}, {}, { DOZHIM_REPORTER_TIMEOUT: 'soon' })).toThrow(/DOZHIM_REPORTER_TIMEOUT/);
  });

  it('validates flag values as they are parsed', () => {
    expect(parseCount('3')).toBe(3);
    expect(() => parseCount('0')).toThrow(/whole number/);
    expect(() => parseCount('2.5')).toThrow(/whole number/);
    expect(parseSeconds('0.5')).toBe(0.5);
    expect(() => parseSeconds('-1')).toThrow(/seconds/);
    expect(parseMaxFailedFlag('10%')).toBe('10%');
    expect(() => parseMaxFailedFlag('lots')).toThrow(/max failed must be a number/);
    expect(() => parseMaxFailedFlag('120%')).toThrow(/at most 100%/);
    expect(parseScheduleFlag('8,4,2')).toBe('8,4,2');
    expect(() => parseScheduleFlag('8,x')).toThrow(/threads schedule/);
    expect(collectRegex('b', ['a'])).toEqual(['a', 'b']);
    expect(() => collectRegex('(unclosed')).toThrow(/Invalid regular expression/);
    expect(parseRunId('team/pipe:1@x')).toBe('team/pipe:1@x');
    expect(() => parseRunId('bad id')).toThrow(/run ids are/);
    expect(() => parseUrl('ftp://x')).toThrow(/http/);
  });

  it('rejects unknown keys, bad types and bad JSON in the config file', async () => {
    await expect(parseConfigFile('{"maxRunz": 3}', 'cfg.json')).rejects.toThrow(/cfg.json: maxRunz/);
    await expect(parseConfigFile('{"maxRuns": "three"}', 'cfg.json')).rejects.toThrow(/cfg.json maxRuns/);
    await expect(parseConfigFile('{"token": "secret"}', 'cfg.json')).rejects.toThrow(UsageError);
    await expect(parseConfigFile('{"maxFailed": "lots"}', 'cfg.json')).rejects.toThrow(/cfg.json maxFailed/);
    await expect(parseConfigFile('{', 'cfg.json')).rejects.toThrow(/cfg.json: not valid JSON/);
  });

  it('reads dozhim.config.json from cwd when present, and requires a named --config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-opt-'));
    expect(await loadConfigFile(undefined, dir)).toEqual({});
    await writeFile(join(dir, 'dozhim.config.json'), '{"maxRuns": 4}');
    expect(await loadConfigFile(undefined, dir)).toEqual({ maxRuns: 4 });
    await expect(loadConfigFile('missing.json', dir)).rejects.toThrow(UsageError);
  });
});

describe('quarantine file', () => {
  it('has one id a line, # comments and blank lines ignored, # inside ids kept', () => {
    const text = '# flaky on staging\nsuite.A::test one\n\n  com.Foo#bar::baz  # ticket-12\n';
    expect([...parseQuarantine(text)]).toEqual(['suite.A::test one', 'com.Foo#bar::baz']);
  });

  const result = (over: Partial<TestResult>): TestResult => ({
    id: 'x::y',
    suite: '',
    classname: 'x',
    name: 'y',
    status: 'failed',
    durationMs: 0,
    properties: {},
    retries: [],
    ...over,
  });

  it('matches canonical ids at once, native ids (pytest node id, file:line) once the tests are seen', () => {
    const ctx = { cwd: '/w', junitPath: '', threads: 1 };
    const q = new Quarantine(
      ['tests/test_pay.py::TestPay::test_refund', 'web/login.spec.ts:12', 'a.B::c', 'no::such'],
      nativeIdsOf(getAdapter('pytest'), ctx),
    );
    const pay = result({
      id: 'tests.test_pay.TestPay::test_refund',
      classname: 'tests.test_pay.TestPay',
      name: 'test_refund',
      file: 'tests/test_pay.py',
    });
    const login = result({ id: 'login::logs in', file: 'web/login.spec.ts', line: 12, name: 'logs in' });
    const other = result({
      id: 'tests.test_pay.TestPay::test_charge',
      classname: 'tests.test_pay.TestPay',
      name: 'test_charge',
      file: 'tests/test_pay.py',
    });
    expect(q.has('a.B::c')).toBe(true);
    expect(q.has(pay.id)).toBe(false);
    q.learn([pay, login, other]);
    expect(q.has(pay.id)).toBe(true);
    expect(q.has(login.id)).toBe(true);
    // The entry that would fool a prefix match: a sibling in the same class stays counted.
    expect(q.has(other.id)).toBe(false);
    expect(q.unmatched()).toEqual(['a.B::c', 'no::such']);
  });
});
