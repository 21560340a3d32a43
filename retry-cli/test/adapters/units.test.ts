// Group-level failures: each adapter's unitOf() and the one rerun rule of execute-attempt.ts
// (rerunResults), tried with the inputs that would make a failing group look green.
import type { TestResult } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import { generic } from '../../src/adapters/generic.js';
import { go } from '../../src/adapters/go.js';
import { gradle } from '../../src/adapters/gradle.js';
import { jest } from '../../src/adapters/jest.js';
import { maven } from '../../src/adapters/maven.js';
import { mocha, mochaGrep, mochaHookPath } from '../../src/adapters/mocha.js';
import {
  DID_NOT_RUN_MESSAGE,
  markDidNotRun,
  playwright,
  playwrightGrep,
} from '../../src/adapters/playwright.js';
import { pytest } from '../../src/adapters/pytest.js';
import type { TestRef } from '../../src/adapters/types.js';
import { vitest } from '../../src/adapters/vitest.js';
import {
  NO_RESULT_MESSAGE,
  rerunResults,
  UNIT_FAILED_AGAIN,
  unrunnableSelection,
} from '../../src/loop/execute-attempt.js';
import { ref } from './hostile.js';

const result = (r: TestRef, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult => ({
  ...r,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
  ...extra,
});

const HOOK = '"before each" hook for "reads the first row"';
const hookRef = { ...ref('x', `hooked ${HOOK}`, 'tests/hook.spec.mjs'), id: 'hook' };
const inHook = (title: string, file = 'tests/hook.spec.mjs') => ({
  ...ref('c', `hooked ${title}`, file),
  id: `${file}::hooked ${title}`,
});

describe('mocha hooks', () => {
  it('finds the describe path of every hook title form, and nothing in an ordinary title', () => {
    expect(mochaHookPath(`hooked ${HOOK}`)).toBe('hooked');
    expect(mochaHookPath('outer inner "after all" hook in "inner"')).toBe('outer inner');
    expect(mochaHookPath('a "before each" hook: connect for "t"')).toBe('a');
    expect(mochaHookPath('"before all" hook in "{root}"')).toBe('');
    expect(mochaHookPath('hooked reads the first row')).toBeUndefined();
    expect(mochaHookPath('mentions before each hook in prose')).toBeUndefined();
  });

  it("re-runs the hook's describe by title prefix, never a describe that only starts with the same letters", () => {
    const grep = new RegExp(mochaGrep([hookRef])!);
    expect(grep.test('hooked reads the second row')).toBe(true);
    expect(grep.test('hookedness reads')).toBe(false);
    expect(grep.test('other hooked reads')).toBe(false);
    // A root hook is every test: no filter at all.
    expect(
      mocha.select([ref('', '"before all" hook in "{root}"')], { cwd: '.', junitPath: '', threads: 1 }).args,
    ).toEqual([]);
  });

  it('counts the describe on a rerun: its tests count, the hook passes only if the describe ran without a hook failure', () => {
    const reported = [
      result(inHook('reads the first row'), 'passed'),
      result(inHook('reads the second row'), 'passed'),
    ];
    const { results, missing } = rerunResults(reported, [hookRef], mocha.unitOf);
    expect(missing).toEqual([]);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['tests/hook.spec.mjs::hooked reads the first row', 'passed'],
      ['tests/hook.spec.mjs::hooked reads the second row', 'passed'],
      ['hook', 'passed'],
    ]);
    expect(results[2]?.properties).toEqual({
      'dozhim.unit': 'describe "hooked" in tests/hook.spec.mjs',
      'dozhim.unitResults': '2',
    });
    expect(results[2]?.message).toBeUndefined();
  });

  it('the same hook failing again stays failed; another hook of the describe failing keeps it failed too', () => {
    const again = rerunResults([result(hookRef, 'failed')], [hookRef], mocha.unitOf).results;
    expect(again.map((r) => r.status)).toEqual(['failed']);
    const other = { ...inHook('"before each" hook for "reads the second row"'), id: 'hook2' };
    const next = rerunResults(
      [result(inHook('reads the first row'), 'passed'), result(other, 'failed')],
      [hookRef],
      mocha.unitOf,
    ).results;
    expect(next.find((r) => r.id === 'hook')).toMatchObject({
      status: 'failed',
      message: `${UNIT_FAILED_AGAIN}: hook2`,
    });
    expect(next.find((r) => r.id === 'hook2')?.status).toBe('failed');
  });

  it('a describe that reported nothing (or only tests of another file) leaves the hook failed: no result reported', () => {
    const elsewhere = result(inHook('reads the first row', 'tests/other.spec.mjs'), 'passed');
    const { results, missing, counted } = rerunResults([elsewhere], [hookRef], mocha.unitOf);
    expect(counted).toBe(0);
    expect(missing).toEqual(['hook']);
    expect(results).toMatchObject([{ id: 'hook', status: 'failed', message: NO_RESULT_MESSAGE }]);
  });
});

describe('pytest collection errors', () => {
  const ctx = { cwd: '/nonexistent', junitPath: '', threads: 1 };
  const moduleError = { ...ref('', 'pkg.test_imports', 'pkg/test_imports.py'), id: 'err' };

  it('a module that did not import is its unit: its tests count, a test of a same-prefixed module does not', () => {
    const unit = pytest.unitOf(moduleError)!;
    expect(unit.groupFailure).toBe(true);
    expect(unit.covers(ref('pkg.test_imports', 'test_a'))).toBe(true);
    expect(unit.covers(ref('pkg.test_imports.TestC', 'test_b'))).toBe(true);
    expect(unit.covers(ref('pkg.test_imports_more', 'test_c'))).toBe(false);
    expect(pytest.unitOf(ref('pkg.test_plain.TestPlain', 'test_x'))).toBeUndefined();
    expect(pytest.selectors([moduleError], ctx)).toEqual(['pkg/test_imports.py']);
  });

  it("an xdist worker's collection mismatch cannot be re-run: the selection is refused with the reason", () => {
    const worker = { ...ref('', 'gw1', 'gw1'), id: 'gw1::gw1' };
    expect(unrunnableSelection([moduleError], pytest.unitOf)).toBeUndefined();
    expect(unrunnableSelection([moduleError, worker], pytest.unitOf)).toMatch(
      /^cannot re-run gw1::gw1: pytest-xdist worker gw1/,
    );
    // A module that happens to be named like a worker, with a real file, is a module.
    expect(pytest.unitOf({ ...ref('', 'gw1', 'gw1.py'), id: 'm' })?.unrunnable).toBeUndefined();
  });

  it('an interrupted session (exit 2) is incomplete; failures (1) and no tests (5) are not', () => {
    expect(pytest.incomplete?.(2)).toMatch(/interrupted/);
    expect(pytest.incomplete?.(1)).toBeUndefined();
    expect(pytest.incomplete?.(0)).toBeUndefined();
  });

  it('drops the nameless testcase an interrupted session writes, keeps everything else', () => {
    const phantom = result({ id: 'pytest::', suite: 'pytest', classname: '', name: '' }, 'passed');
    const real = result(ref('m', 'test_a'), 'passed');
    expect(pytest.normalize?.([phantom, real])).toEqual([real]);
  });
});

describe('jest files that fail to load', () => {
  const fileError = {
    ...ref('Test suite failed to run', 'tests/loads.test.cjs', 'tests/loads.test.cjs'),
    id: 'f',
  };

  it('the file is the unit and is re-run whole (no name filter)', () => {
    expect(
      jest.unitOf(fileError)?.covers(ref('tests/loads.test.cjs', 'loads › first', 'tests/loads.test.cjs')),
    ).toBe(true);
    expect(jest.unitOf(fileError)?.covers(ref('tests/other.test.cjs', 'x', 'tests/other.test.cjs'))).toBe(
      false,
    );
    const args = jest.select([fileError, ref('tests/a.test.cjs', 'a', 'tests/a.test.cjs')], {
      cwd: '.',
      junitPath: '',
      threads: 1,
    }).args;
    expect(args.some((a) => a.startsWith('--testNamePattern'))).toBe(false);
    expect(args).toHaveLength(2);
  });

  it('cuts the lead jest-junit writes before a top-level name, and recomputes the id', () => {
    const top = result(
      {
        id: 'tests/a.test.cjs:: › top',
        suite: 's',
        classname: 'tests/a.test.cjs',
        name: ' › top',
        file: 'tests/a.test.cjs',
      },
      'passed',
    );
    const [fixed] = jest.normalize!([top]);
    expect(fixed).toMatchObject({ name: 'top', id: 'tests/a.test.cjs::top' });
    const nested = result(ref('tests/a.test.cjs', 'group › top'), 'passed');
    expect(jest.normalize!([nested])).toEqual([nested]);
  });
});

describe('vitest files that fail to load', () => {
  it('are their file: re-run whole, their tests counted; an ordinary test is no unit', () => {
    const load = {
      ...ref('tests/bad.test.mjs', 'tests/bad.test.mjs'),
      id: 'tests/bad.test.mjs::tests/bad.test.mjs',
    };
    const unit = vitest.unitOf(load)!;
    expect(unit.groupFailure).toBe(true);
    expect(unit.covers(ref('tests/bad.test.mjs', 'suite > x'))).toBe(true);
    expect(unit.covers(ref('tests/other.test.mjs', 'suite > x'))).toBe(false);
    expect(vitest.unitOf(ref('tests/a.test.mjs', 'suite > x'))).toBeUndefined();
    expect(vitest.select([load], { cwd: '.', junitPath: '', threads: 1 }).args).toEqual([
      'tests/bad.test.mjs',
    ]);
  });
});

describe('Playwright serial groups', () => {
  const serial = (
    name: string,
    status: TestResult['status'],
    project = 'alpha',
    props: Record<string, string> = {},
  ) =>
    result(
      { id: `[${project}] s.spec.mjs::${name}`, suite: 's.spec.mjs', classname: 's.spec.mjs', name, project },
      status,
      { properties: { serial: '', ...props } },
    );

  it('a serial test skipped after a failure of its group did not run: it is a failure', () => {
    const out = markDidNotRun([
      serial('checkout › logs in', 'passed'),
      serial('checkout › adds', 'failed'),
      serial('checkout › pays', 'skipped'),
      serial('checkout › wraps', 'skipped', 'alpha', { skip: 'on purpose' }),
      serial('checkout › pays', 'skipped', 'beta'),
      result(ref('s.spec.mjs', 'plain skipped'), 'skipped'),
    ]);
    expect(out.map((r) => [r.project ?? '', r.name, r.status])).toEqual([
      ['alpha', 'checkout › logs in', 'passed'],
      ['alpha', 'checkout › adds', 'failed'],
      ['alpha', 'checkout › pays', 'failed'],
      ['alpha', 'checkout › wraps', 'skipped'],
      // beta's group had no failure: its skip is Playwright's own reason, not ours to change.
      ['beta', 'checkout › pays', 'skipped'],
      ['', 'plain skipped', 'skipped'],
    ]);
    expect(out[2]?.message).toBe(DID_NOT_RUN_MESSAGE);
  });

  it('the unit of a serial test is its group in its project; the grep selects the group with its project', () => {
    const adds = { ...serial('checkout › adds', 'failed') };
    const unit = playwright.unitOf(adds)!;
    expect(unit.groupFailure).toBe(false);
    expect(unit.covers(serial('checkout › logs in', 'passed'))).toBe(true);
    expect(unit.covers(serial('checkout › logs in', 'passed', 'beta'))).toBe(false);
    expect(unit.covers(serial('checkoutx › logs in', 'passed'))).toBe(false);
    const grep = playwrightGrep([adds]);
    const re = new RegExp(grep.slice(1, -1));
    expect(re.test(' alpha s.spec.mjs checkout logs in')).toBe(true);
    expect(re.test(' beta s.spec.mjs checkout logs in')).toBe(false);
    expect(re.test(' alpha s.spec.mjs other logs in')).toBe(false);
    // Without the serial property, the test is selected alone.
    expect(playwright.unitOf(ref('s.spec.mjs', 'checkout › adds'))).toBeUndefined();
  });
});

describe('go parents and packages', () => {
  const pkg = 'example.com/m/alpha';
  it('drops a parent whose failure is its failing subtest; keeps a parent that failed by itself', () => {
    const parent = result(ref(pkg, 'TestPaths'), 'failed');
    const child = result(ref(pkg, 'TestPaths/a/b'), 'failed');
    const sibling = result(ref(pkg, 'TestPaths/a'), 'passed');
    expect(go.normalize!([child, parent, sibling])).toEqual([child, sibling]);
    const alone = result(ref(pkg, 'TestAlone'), 'failed');
    const otherPkgChild = result(ref('example.com/m/beta', 'TestAlone/x'), 'failed');
    expect(go.normalize!([alone, otherPkgChild])).toEqual([alone, otherPkgChild]);
  });

  it("a subtest's rerun counts its parents in its package (a parent failing by itself stays visible)", () => {
    const sub = ref(pkg, 'TestPaths/a/b');
    const reported = [
      result(ref(pkg, 'TestPaths'), 'failed'),
      result(sub, 'passed'),
      result(ref('example.com/m/beta', 'TestPaths'), 'passed'),
      result(ref(pkg, 'TestPaths/plain'), 'passed'),
    ];
    const { results } = rerunResults(reported, [sub], go.unitOf);
    expect(results.map((r) => `${r.classname} ${r.name} ${r.status}`)).toEqual([
      `${pkg} TestPaths failed`,
      `${pkg} TestPaths/a/b passed`,
    ]);
  });

  it('reruns only the failing packages through --packages', () => {
    const sel = go.select([ref(pkg, 'TestA'), ref(pkg, 'TestB'), ref('example.com/m/beta', 'TestA')], {
      cwd: '.',
      junitPath: '',
      threads: 1,
    });
    expect(sel.prepend).toEqual(['--packages', `${pkg} example.com/m/beta`]);
    expect(go.preflight?.(['go', 'test', './...'], { cwd: '.', junitPath: '', threads: 1 })).toMatch(
      /needs gotestsum/,
    );
    expect(
      go.preflight?.(['/usr/bin/gotestsum', '--', './...'], { cwd: '.', junitPath: '', threads: 1 }),
    ).toBeUndefined();
    expect(go.preflight?.(['go test ./...'], { cwd: '.', junitPath: '', threads: 1 })).toMatch(
      /needs gotestsum/,
    );
  });
});

describe('rerunResults without units', () => {
  it('ignores results nobody selected and fails a selected test without a result', () => {
    const a = ref('c', 'a');
    const { results, counted } = rerunResults([result(ref('c', 'other'), 'failed')], [a]);
    expect(counted).toBe(0);
    expect(results).toMatchObject([{ id: a.id, status: 'failed', message: NO_RESULT_MESSAGE }]);
  });
});

describe("core's suite-level <init> results", () => {
  const ctx = { cwd: '.', junitPath: '', threads: 1 };
  const init = (classname: string, file?: string): TestRef => ({
    ...ref(classname, '<init>', file),
    suite: classname,
  });

  it('are their file (or suite) in every adapter: covered results are exactly that file or suite', () => {
    const withFile = init('tests/a.test.mjs', 'tests/a.test.mjs');
    const u = vitest.unitOf(withFile)!;
    expect(u.groupFailure).toBe(true);
    expect(u.covers(ref('tests/a.test.mjs', 'x', 'tests/a.test.mjs'))).toBe(true);
    expect(u.covers(ref('tests/b.test.mjs', 'x', 'tests/b.test.mjs'))).toBe(false);
    const noFile = generic.unitOf(init('com.acme.CartTest'))!;
    expect(noFile.covers({ ...ref('com.acme.CartTest', 'adds'), suite: 'com.acme.CartTest' })).toBe(true);
    expect(noFile.covers({ ...ref('com.acme.Cart', 'adds'), suite: 'com.acme.Cart' })).toBe(false);
    for (const a of [jest, vitest, playwright, mocha, pytest, maven, gradle, generic]) {
      expect(a.unitOf(init('S', 'f.test.js')), a.name).toBeDefined();
      expect(a.unitOf(ref('S', 'init', 'f.test.js')), a.name).toBeUndefined();
    }
  });

  it('select the whole file or class: no name filter, the class without a method, the package without -run', () => {
    const file = init('tests/a.test.mjs', 'tests/a.test.mjs');
    expect(vitest.select([file, ref('tests/b.test.mjs', 'x')], ctx).args).toEqual([
      'tests/a.test.mjs',
      'tests/b.test.mjs',
    ]);
    expect(maven.selectors([init('com.acme.CartTest')], ctx)).toEqual(['com.acme.CartTest']);
    expect(gradle.selectors([init('com.acme.CartTest')], ctx)).toEqual(['com.acme.CartTest']);
    const pkg = go.select([init('example.com/m/alpha'), ref('example.com/m/beta', 'TestB')], ctx);
    expect(pkg.args).toEqual([]);
    expect(pkg.prepend).toEqual(['--packages', 'example.com/m/alpha example.com/m/beta']);
    const pw = new RegExp(playwrightGrep([init('a.spec.mjs')]).slice(1, -1));
    expect(pw.test(' a.spec.mjs any describe any test')).toBe(true);
    expect(pw.test(' b.spec.mjs any describe any test')).toBe(false);
  });
});
