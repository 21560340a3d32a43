// The JS frameworks compile our patterns with their own RegExp rules; these tests compile them the same
// way (flags included, see each adapter's comment) and check exact selection against decoy names.
// That the frameworks really match these strings is proven by the e2e tests on real suites.
import { describe, expect, it } from 'vitest';
import { jest, jestNamePattern, jestPathPattern } from '../../src/adapters/jest.js';
import { mocha, mochaGrep } from '../../src/adapters/mocha.js';
import { playwright } from '../../src/adapters/playwright.js';
import { vitest, vitestNamePattern } from '../../src/adapters/vitest.js';
import { HOSTILE, patternOf, ref } from './hostile.js';

const ctx = { cwd: '/repo', junitPath: '/tmp/out dir/j.xml', threads: 3 };
const DECOYS = (full: string): string[] => [
  `${full} `.trim() === full ? `${full}x` : full,
  `x${full}`,
  full.slice(0, -1),
  full.replace('param-1', 'param-10'),
  full.replace(/ /g, ''),
  'plain other test',
];

describe('jest adapter', () => {
  const tests = [
    ref('tests/a b.test.js', ` outer ${HOSTILE}`, 'tests/a b.test.js'),
    ref('tests/c.test.js', 'plain'),
  ];
  it('matches the full names (jest compiles with the i flag) and nothing else', () => {
    const re = new RegExp(jestNamePattern(tests), 'i');
    expect(re.test(`outer ${HOSTILE}`)).toBe(true);
    expect(re.test('plain')).toBe(true);
    for (const d of DECOYS(`outer ${HOSTILE}`)) expect(re.test(d), d).toBe(false);
    expect(re.test('plain two')).toBe(false);
  });
  it('passes file patterns matching the exact file, and the name pattern as one argv element', () => {
    const { args } = jest.select(tests, ctx);
    expect(args).toHaveLength(3);
    const file = new RegExp(args[0]!);
    expect(file.test('/repo/tests/a b.test.js')).toBe(true);
    expect(file.test('/repo/tests/xa b.test.js')).toBe(false);
    expect(file.test('/repo/tests/a b.test.jsx')).toBe(false);
    expect(new RegExp(jestPathPattern('/abs/p.(x).js')).test('/abs/p.(x).js')).toBe(true);
    expect(patternOf(args, '--testNamePattern')).toBe(jestNamePattern(tests));
  });
  it('asks jest-junit for file-based classnames and full-name titles at the attempt path', () => {
    const r = jest.report(ctx);
    expect(r.args).toEqual(['--reporters=default', '--reporters=jest-junit']);
    expect(r.env).toMatchObject({
      JEST_JUNIT_OUTPUT_FILE: ctx.junitPath,
      JEST_JUNIT_CLASSNAME: '{filepath}',
    });
    expect(jest.threads(ctx).args).toEqual(['--maxWorkers=3']);
  });
});

describe('vitest adapter', () => {
  const name = `outer > inner > ${HOSTILE}`;
  const tests = [ref('tests/a.test.ts', name), ref('tests/b.test.ts', 'top level')];
  it('matches the space-joined full name vitest tests -t against, case-sensitively', () => {
    const re = new RegExp(vitestNamePattern(tests));
    expect(re.test(`outer inner ${HOSTILE}`)).toBe(true);
    expect(re.test('top level')).toBe(true);
    expect(re.test('Top level')).toBe(false);
    for (const d of DECOYS(`outer inner ${HOSTILE}`)) expect(re.test(d), d).toBe(false);
    expect(re.test(`inner ${HOSTILE}`)).toBe(false);
  });
  it('selects the files and the pattern; reports to the attempt path', () => {
    const { args } = vitest.select(tests, ctx);
    expect(args.slice(0, 2)).toEqual(['tests/a.test.ts', 'tests/b.test.ts']);
    expect(patternOf(args, '--testNamePattern')).toBe(vitestNamePattern(tests));
    expect(vitest.report(ctx).args).toContain(`--outputFile.junit=${ctx.junitPath}`);
    expect(vitest.threads(ctx).args).toEqual(['--maxWorkers=3']);
  });
});

describe('mocha adapter', () => {
  const tests = [ref(HOSTILE, `suite ${HOSTILE}`), ref('t', 'other one')];
  it('matches the full title exactly with --grep', () => {
    const { args } = mocha.select(tests, ctx);
    expect(args[0]).toBe('--grep');
    const re = new RegExp(args[1]!);
    expect(args[1]).toBe(mochaGrep(tests));
    expect(re.test(`suite ${HOSTILE}`)).toBe(true);
    expect(re.test('other one')).toBe(true);
    for (const d of DECOYS(`suite ${HOSTILE}`)) expect(re.test(d), d).toBe(false);
    expect(mocha.threads(ctx).args).toEqual([]);
  });
});

describe('playwright adapter', () => {
  const tests = [ref('specs/a.spec.ts', `group › ${HOSTILE}`), ref('specs/b.spec.ts', 'solo')];
  const grep = (args: string[]): RegExp => {
    const m = /^\/(.*)\/([gi]*)$/.exec(patternOf(args, '--grep'))!; // Playwright's forceRegExp
    return new RegExp(m[1]!, m[2]);
  };
  it('matches Playwright grep titles (root, project, file, titles, tags) exactly', () => {
    const re = grep(playwright.select(tests, ctx).args);
    expect(re.test(`  specs/a.spec.ts group ${HOSTILE}`)).toBe(true);
    expect(re.test(` chromium specs/a.spec.ts group ${HOSTILE} @slow`)).toBe(true);
    expect(re.test('  specs/b.spec.ts solo')).toBe(true);
    expect(re.test('  specs/b.spec.ts Solo')).toBe(false);
    expect(re.test('  specs/b.spec.ts solo two')).toBe(false);
    expect(re.test('  specs/a.spec.ts solo')).toBe(false);
    expect(re.test('  xspecs/b.spec.ts solo')).toBe(false);
    for (const d of DECOYS(`group ${HOSTILE}`)) expect(re.test(`  specs/a.spec.ts ${d}`), d).toBe(false);
  });
  it('reports with list+junit to the attempt path and sets workers', () => {
    expect(playwright.report(ctx)).toEqual({
      args: ['--reporter=list,junit'],
      env: { PLAYWRIGHT_JUNIT_OUTPUT_NAME: ctx.junitPath },
    });
    expect(playwright.threads(ctx).args).toEqual(['--workers=3']);
  });
});
