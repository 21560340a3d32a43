// Attribute values are cleaned when the reader reads them (junit-sax.ts cleanAttr); short values take a
// one-loop check first. Both lengths, each thing the cleaning removes or restores, and the values it
// must leave alone.
import { parseJUnit } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

/** `message` goes on the testcase's failure, the other attributes on the testcase. */
const one = (attrs: string, message: string) =>
  parseJUnit(
    `<testsuites><testsuite name="S"><testcase ${attrs}><failure message="${message}"/></testcase></testsuite></testsuites>`,
  ).results[0]!;
const long = 'x'.repeat(80);

describe('attribute cleaning, short and long values', () => {
  it.each([
    ['short', ''],
    ['long', long],
  ])('%s: ANSI from &#x1B; and &#27; references, pytest #x1B text and CSI are stripped', (_l, pad) => {
    const r = one(`name="${pad}a&#x1B;[31mred&#27;[0m" classname="${pad}#x1B[1mC#x1B[0m"`, `${pad}&#x9B;2Km`);
    expect(r.name).toBe(`${pad}ared`);
    expect(r.classname).toBe(`${pad}C`);
    expect(r.message).toBe(`${pad}m`);
  });

  it.each([
    ['short', ''],
    ['long', long],
  ])('%s: a lone ESC is replaced, bare & kept as written', (_l, pad) => {
    const r = one(`name="${pad}a&#x1B;b" classname="${pad}A & B"`, 'x');
    expect(r.name).toBe(`${pad}a\uFFFDb`);
    expect(r.classname).toBe(`${pad}A & B`);
  });

  it('plain values, and # or & that start nothing, are left as they are', () => {
    const r = one('name="issue #12 &amp; #x1 done" classname="a.b.C"', '50% &lt;ok&gt;');
    expect(r.name).toBe('issue #12 & #x1 done');
    expect(r.classname).toBe('a.b.C');
    expect(r.message).toBe('50% <ok>');
  });
});
