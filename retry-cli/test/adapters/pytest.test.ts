import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pytest } from '../../src/adapters/pytest.js';
import { HOSTILE, ref } from './hostile.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dozhim-pytest-adapter-'));
  mkdirSync(join(root, 'proj/tests/pkg'), { recursive: true });
  writeFileSync(join(root, 'proj/tests/pkg/test_m.py'), '');
  writeFileSync(join(root, 'proj/tests/test_top.py'), '');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pytest adapter', () => {
  const ctx = () => ({ cwd: join(root, 'proj'), junitPath: '/tmp/x y/j.xml', threads: 4 });

  it('builds node ids from xunit1 file + classname, keeping nested classes and parameter ids', () => {
    const tests = [
      ref('tests.pkg.test_m.TestC.TestInner', 'test_deep', 'tests/pkg/test_m.py'),
      ref('tests.pkg.test_m', `test_p[${HOSTILE}]`, 'tests/pkg/test_m.py'),
      ref('tests.test_top', 'test_x[param-1]', 'tests/test_top.py'),
    ];
    expect(pytest.selectors(tests, ctx())).toEqual([
      'tests/pkg/test_m.py::TestC::TestInner::test_deep',
      `tests/pkg/test_m.py::test_p[${HOSTILE}]`,
      'tests/test_top.py::test_x[param-1]',
    ]);
  });

  it('resolves the module from a dotted classname when there is no file attribute (xunit2)', () => {
    expect(pytest.selectors([ref('tests.pkg.test_m.TestC', 'test_in')], ctx())).toEqual([
      'tests/pkg/test_m.py::TestC::test_in',
    ]);
  });

  it('resolves paths reported relative to a rootdir below or above cwd', () => {
    // rootdir = proj/tests (ini file there): pytest reports `pkg/test_m.py`, run from proj.
    expect(pytest.selectors([ref('pkg.test_m', 't', 'pkg/test_m.py')], ctx())).toEqual([
      'tests/pkg/test_m.py::t',
    ]);
    // rootdir = root, invoked from proj/tests: pytest reports `proj/tests/test_top.py`.
    const fromBelow = { ...ctx(), cwd: join(root, 'proj/tests') };
    expect(pytest.selectors([ref('proj.tests.test_top', 't', 'proj/tests/test_top.py')], fromBelow)).toEqual([
      'test_top.py::t',
    ]);
  });

  it('de-duplicates, and asks for xunit1 at the attempt path with xdist workers', () => {
    const t = ref('tests.test_top', 'a', 'tests/test_top.py');
    expect(pytest.selectors([t, t], ctx())).toEqual(['tests/test_top.py::a']);
    expect(pytest.report(ctx()).args).toEqual([
      '--junitxml=/tmp/x y/j.xml',
      '-o',
      'junit_family=xunit1',
      '--continue-on-collection-errors',
    ]);
    expect(pytest.threads(ctx()).args).toEqual(['-n', '4']);
  });

  it('selects with node ids plus the deselecting plugin, whose selection file holds the JUnit identities', () => {
    const junitPath = join(root, 'attempt-2', 'junit.xml');
    const tests = [ref('tests.test_top', `t[${HOSTILE}]`, 'tests/test_top.py')];
    const { args, env } = pytest.select(tests, { ...ctx(), junitPath });
    expect(args).toEqual([`tests/test_top.py::t[${HOSTILE}]`, '-p', 'dozhim_select']);
    const pluginDir = join(root, 'attempt-2', 'dozhim-pytest-junit');
    expect(env.PYTHONPATH?.split(':')[0]).toBe(pluginDir);
    expect(JSON.parse(readFileSync(env.DOZHIM_PYTEST_SELECT!, 'utf8'))).toEqual({
      tests: [['tests.test_top', `t[${HOSTILE}]`]],
      units: [],
    });
    expect(existsSync(join(pluginDir, 'dozhim_select.py'))).toBe(true);
  });

  it('keeps the selections of shards sharing an attempt folder apart', () => {
    const a = pytest.select([ref('m', 'a', 'm.py')], {
      ...ctx(),
      junitPath: join(root, 'attempt-3', 'junit-s1.xml'),
    });
    const b = pytest.select([ref('m', 'b', 'm.py')], {
      ...ctx(),
      junitPath: join(root, 'attempt-3', 'junit-s2.xml'),
    });
    expect(a.env.DOZHIM_PYTEST_SELECT).not.toBe(b.env.DOZHIM_PYTEST_SELECT);
    expect(JSON.parse(readFileSync(a.env.DOZHIM_PYTEST_SELECT!, 'utf8'))).toEqual({
      tests: [['m', 'a']],
      units: [],
    });
    expect(JSON.parse(readFileSync(b.env.DOZHIM_PYTEST_SELECT!, 'utf8'))).toEqual({
      tests: [['m', 'b']],
      units: [],
    });
  });

  it('writes nothing and returns node ids when there is no attempt report path (dozhim failed)', () => {
    const t = ref('tests.test_top', 'a', 'tests/test_top.py');
    expect(pytest.select([t], { ...ctx(), junitPath: '' })).toEqual({
      args: ['tests/test_top.py::a'],
      env: {},
    });
  });

  it('leaves out node ids it cannot resolve (pytest would abort) and relies on the plugin', () => {
    const junitPath = join(root, 'attempt-3', 'junit.xml');
    const { args } = pytest.select([ref('gone.test_x', 't', 'gone/test_x.py')], { ...ctx(), junitPath });
    expect(args).toEqual(['-p', 'dozhim_select']);
  });
});
