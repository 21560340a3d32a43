// The reader keeps what repeats once (shared frozen properties and empty retries, interned values and
// texts). Sharing must never leak one result's data into another's, and a change to a shared object
// must fail loudly rather than change every result.
import { describe, expect, it } from 'vitest';
import { parseJUnit } from '../src/junit-reader.js';

const tail = (s: string) => s.slice(-40);

describe('lean results', () => {
  const xml = `<testsuites>
  <testsuite name="s1"><properties><property name="browser" value="chromium"/></properties>
    <testcase classname="c.A" name="a"/>
    <testcase classname="c.A" name="b"><properties><property name="own" value="1"/></properties></testcase>
    <testcase classname="c.A" name="c"/>
  </testsuite>
  <testsuite name="s2">
    <testcase classname="c.A" name="d"/>
  </testsuite>
</testsuites>`;

  it('results without properties of their own share one frozen object; a change throws', () => {
    const [a, b, c, d] = parseJUnit(xml).results;
    expect(a!.properties).toBe(c!.properties);
    expect(a!.properties).toEqual({ browser: 'chromium' });
    expect(b!.properties).toEqual({ browser: 'chromium', own: '1' });
    expect(d!.properties).toEqual({});
    expect(Object.isFrozen(a!.properties)).toBe(true);
    expect(() => {
      a!.properties.browser = 'firefox';
    }).toThrow(TypeError);
    expect(c!.properties.browser).toBe('chromium');
    expect(() => a!.retries.push({ kind: 'flakyFailure' })).toThrow(TypeError);
  });

  it('interned texts are equal texts only: near-identical traces stay distinct', () => {
    const base = 'x'.repeat(5000);
    const long = 'y'.repeat(20_000); // over the intern bound: kept as is
    const cases = [`${base}A`, `${base}B`, `${base}A`, `${long}1`, `${long}2`]
      .map((t, i) => `<testcase classname="c" name="t${i}"><failure message="m">${t}</failure></testcase>`)
      .join('');
    const results = parseJUnit(`<testsuite name="s">${cases}</testsuite>`, {
      maxOutputChars: 100_000,
    }).results;
    expect(results.map((r) => tail(r.details!))).toEqual(
      [`${base}A`, `${base}B`, `${base}A`, `${long}1`, `${long}2`].map(tail),
    );
    expect(results.map((r) => r.details!.length)).toEqual([5001, 5001, 5001, 20_001, 20_001]);
  });

  it('a repeated classname stays each testcase’s own value when it changes', () => {
    const cases = ['c.A', 'c.A', 'c.B', 'c.A']
      .map((cls, i) => `<testcase classname="${cls}" name="t${i}"/>`)
      .join('');
    const ids = parseJUnit(`<testsuite name="s">${cases}</testsuite>`).results.map((r) => r.id);
    expect(ids).toEqual(['c.A::t0', 'c.A::t1', 'c.B::t2', 'c.A::t3']);
  });
});
