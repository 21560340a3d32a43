import { describe, expect, it } from 'vitest';
import { generic } from '../../src/adapters/generic.js';
import { gradle } from '../../src/adapters/gradle.js';
import { maven, mavenTestFilter } from '../../src/adapters/maven.js';
import { HOSTILE, ref } from './hostile.js';

const ctx = { cwd: '/repo', junitPath: '/tmp/j.xml', threads: 2 };
const tests = [
  ref('com.acme.LoginTest', 'logsIn'),
  ref('com.acme.LoginTest', 'retries(String)[1]'),
  ref('com.acme.CartTest', 'adds[2]'),
  ref('com.acme.UiTest', HOSTILE),
  ref('com.acme.UiTest', 'plain'),
];

describe('maven adapter', () => {
  it('groups methods per class, cuts parameter decorations, selects a class whose name is no method', () => {
    expect(mavenTestFilter(tests)).toBe(
      'com.acme.LoginTest#logsIn+retries,com.acme.CartTest#adds,com.acme.UiTest',
    );
    expect(maven.select(tests, ctx).args).toEqual([
      '-Dtest=com.acme.LoginTest#logsIn+retries,com.acme.CartTest#adds,com.acme.UiTest',
      '-DfailIfNoTests=false',
      '-Dsurefire.failIfNoSpecifiedTests=false',
    ]);
    expect(maven.selectors(tests, ctx)).toEqual([
      'com.acme.LoginTest#logsIn',
      'com.acme.LoginTest#retries',
      'com.acme.CartTest#adds',
      'com.acme.UiTest',
    ]);
    expect(maven.threads(ctx).args).toEqual(['-DforkCount=2']);
    expect(maven.reportGlobs).toContain('**/target/surefire-reports/TEST-*.xml');
  });
});

describe('gradle adapter', () => {
  it('passes one --tests argv pair per method (no shell quoting involved)', () => {
    expect(gradle.select(tests, ctx).args).toEqual([
      '--tests',
      'com.acme.LoginTest.logsIn',
      '--tests',
      'com.acme.LoginTest.retries',
      '--tests',
      'com.acme.CartTest.adds',
      '--tests',
      'com.acme.UiTest',
    ]);
    expect(gradle.threads(ctx).args).toEqual(['--max-workers=2']);
  });
});

describe('generic adapter', () => {
  it('passes canonical ids verbatim as separate argv elements and adds no flags', () => {
    expect(generic.select(tests, ctx).args).toEqual(tests.map((t) => t.id));
    expect(generic.selectors(tests, ctx)).toEqual(tests.map((t) => t.id));
    expect(generic.report(ctx).args).toEqual([]);
    expect(generic.threads(ctx).args).toEqual([]);
  });
});
