// Repeated failure texts are kept once (junit-sax.ts Interner); long ones are looked up by their
// length and ends. Interning must never make two different texts one: texts that share length and
// ends but differ inside stay what each testcase said, in any order.
import { parseJUnit } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const head = 'java.lang.AssertionError: expected 200\n'.repeat(3);
const tail = '\n\tat com.example.Handler.handle(Handler.java:42)'.repeat(3);
/** 1000-character texts that differ only in the middle. */
const text = (middle: string) => head + middle.padEnd(1000 - head.length - tail.length, '.') + tail;

describe('interning long texts', () => {
  it('texts with the same length and ends but another middle stay distinct, repeats stay equal', () => {
    const a = text('first middle');
    const b = text('other middle');
    expect(a.length).toBe(b.length);
    expect(a).not.toBe(b);
    const cases = [a, b, a, b, b, a]
      .map(
        (t, i) =>
          `<testcase name="t${i}"><failure message="m">${t}</failure><system-out>${t}</system-out></testcase>`,
      )
      .join('');
    const { results } = parseJUnit(`<testsuites><testsuite name="S">${cases}</testsuite></testsuites>`);
    expect(results.map((r) => r.details)).toEqual([a, b, a, b, b, a]);
    expect(results.map((r) => r.stdout)).toEqual([a, b, a, b, b, a]);
  });

  it('short and long texts alike: each result keeps its own', () => {
    const texts = ['x', 'y'.repeat(300), 'x', 'z'.repeat(300), 'y'.repeat(300)];
    const cases = texts.map((t, i) => `<testcase name="t${i}"><error>${t}</error></testcase>`).join('');
    const { results } = parseJUnit(`<testsuites><testsuite name="S">${cases}</testsuite></testsuites>`);
    expect(results.map((r) => r.details)).toEqual(texts);
  });
});
