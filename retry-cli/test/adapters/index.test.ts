import { describe, expect, it } from 'vitest';
import { FRAMEWORKS, getAdapter } from '../../src/adapters/index.js';

describe('getAdapter', () => {
  it('has one adapter per --framework value, named after it', () => {
    expect(FRAMEWORKS).toEqual([
      'pytest',
      'jest',
      'vitest',
      'playwright',
      'mocha',
      'go',
      'maven',
      'gradle',
      'generic',
    ]);
    for (const name of FRAMEWORKS) expect(getAdapter(name).name).toBe(name);
  });

  it('rejects unknown names, listing the valid ones, and does not resolve prototype keys', () => {
    expect(() => getAdapter('rspec')).toThrow(/unknown framework "rspec".*pytest, jest/);
    expect(() => getAdapter('toString')).toThrow(/unknown framework/);
  });

  it('adds nothing to select for an empty list (first attempt)', () => {
    const ctx = { cwd: process.cwd(), junitPath: '/tmp/j.xml', threads: 2 };
    for (const name of FRAMEWORKS) expect(getAdapter(name).select([], ctx).args).toEqual([]);
  });
});
