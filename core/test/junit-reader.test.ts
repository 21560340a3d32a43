import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Attempt,
  DEFAULT_MAX_OUTPUT_CHARS,
  parseJUnit,
  readJUnitFile,
  runState,
  type TestResult,
} from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => new URL(`./fixtures/handwritten/${name}`, import.meta.url).pathname;
const read = (name: string) => readJUnitFile(fixture(name));
const byId = (results: TestResult[]) => new Map(results.map((r) => [r.id, r]));
const only = (xml: string) => {
  const { results } = parseJUnit(xml);
  expect(results).toHaveLength(1);
  return results[0]!;
};
const suite = (cases: string) => `<testsuites><testsuite name="S">${cases}</testsuite></testsuites>`;
const asAttempt = (results: TestResult[]): Attempt[] => [{ number: 1, results }];

describe('parseJUnit: document shapes', () => {
  it.each([
    ['empty <testsuites/>', '<testsuites/>', 0],
    ['empty <testsuites></testsuites>', '<?xml version="1.0"?>\n<testsuites>\n</testsuites>', 0],
    ['bare empty <testsuite/>', '<testsuite name="x" tests="0"/>', 0],
    ['bare <testsuite> root', '<testsuite name="x"><testcase name="a"/><testcase name="b"/></testsuite>', 2],
    ['testcases straight under <testsuites>', '<testsuites name="r"><testcase name="a"/></testsuites>', 1],
    [
      'BOM and comments before the root',
      '\uFEFF<!-- hi --><testsuites><testsuite><testcase name="a"/></testsuite></testsuites>',
      1,
    ],
  ])('%s → %i results', (_label, xml, n) => {
    const report = parseJUnit(xml, { source: 'x.xml' });
    expect(report.results).toHaveLength(n);
    expect(report.counts.total).toBe(n);
    expect(report.source).toBe('x.xml');
  });

  it('a UTF-8 BOM wins over a declared ISO-8859-1', () => {
    const xml = '<?xml version="1.0" encoding="ISO-8859-1"?><testsuite><testcase name="ünï ✓"/></testsuite>';
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(xml)]);
    expect(parseJUnit(bytes).results[0]!.name).toBe('ünï ✓');
  });

  it('decodes bytes by BOM and by the declared encoding', () => {
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><testsuite><testcase name="caf\xe9"/></testsuite>',
      'latin1',
    );
    expect(parseJUnit(latin1).results[0]!.name).toBe('café');
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('<testsuite><testcase name="ü"/></testsuite>', 'utf16le'),
    ]);
    expect(parseJUnit(utf16).results[0]!.name).toBe('ü');
    const utf8 = new TextEncoder().encode('<testsuite><testcase name="日本"/></testsuite>');
    expect(parseJUnit(utf8).results[0]!.name).toBe('日本');
  });

  it('keeps number-looking names and classnames as strings', () => {
    const r = only(suite('<testcase classname="007" name="123" time="1e1"/>'));
    expect(r).toMatchObject({ classname: '007', name: '123', id: '007::123', durationMs: 10_000 });
  });
});

describe('parseJUnit: identity', () => {
  it.each([
    ['classname that names the file (pytest)', '<testcase classname="a.B" file="a.py" name="t"/>', 'a.B::t'],
    ['file and classname', '<testcase classname="a.B" file="f.py" name="t"/>', 'f.py > a.B::t'],
    ['file when no classname', '<testcase file="src/x.test.ts" name="t"/>', 'src/x.test.ts::t'],
    ['suite when neither', '<testcase name="t"/>', 'S::t'],
    ['PHPUnit class attribute', '<testcase class="Acme\\Foo" name="t"/>', 'Acme\\Foo::t'],
    [
      'names exact, no whitespace folding',
      '<testcase classname=" a.B " name="t   with&#10;  spaces"/>',
      ' a.B ::t   with\n  spaces',
    ],
    [
      '`::` in a classname (Rust, C++)',
      '<testcase classname="crate::mod" name="t::u"/>',
      'crate\u2237mod::t::u',
    ],
  ])('%s', (_label, tc, id) => {
    expect(only(suite(tc)).id).toBe(id);
  });

  it('whitespace runs are part of the name: `a b` and `a  b` are two tests', () => {
    const { results, warnings } = parseJUnit(
      suite('<testcase classname="c" name="a b"><failure/></testcase><testcase classname="c" name="a  b"/>'),
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['c::a b', 'failed'],
      ['c::a  b', 'passed'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('the suite is part of the id only when it is a source file', () => {
    // jest-junit suiteNameTemplate "{filepath}": the same classname in two files.
    const files = parseJUnit(
      '<testsuites><testsuite name="src/a.test.ts"><testcase classname="x" name="t"><failure/></testcase></testsuite>' +
        '<testsuite name="src/b.test.ts"><testcase classname="x" name="t"/></testsuite></testsuites>',
    );
    expect(files.results.map((r) => r.id)).toEqual(['src/a.test.ts > x::t', 'src/b.test.ts > x::t']);
    // A suite name that is not a file (shard labels, jest's first describe title) is not.
    const shards = parseJUnit(
      '<testsuites><testsuite name="shard 1"><testcase classname="x" name="t"/></testsuite>' +
        '<testsuite name="shard-2"><testcase classname="x" name="u"/></testsuite></testsuites>',
    );
    expect(shards.results.map((r) => r.id)).toEqual(['x::t', 'x::u']);
  });

  it('Playwright: the project (<testsuite hostname>) is part of the id when the root is Playwright-shaped', () => {
    const pw = (root: string) =>
      parseJUnit(
        `<testsuites ${root}><testsuite name="a.spec.ts" hostname="chromium"><testcase classname="a.spec.ts" name="t"><failure/></testcase></testsuite>` +
          '<testsuite name="a.spec.ts" hostname="firefox"><testcase classname="a.spec.ts" name="t"/></testsuite></testsuites>',
        { repeats: 'retries' },
      );
    const withProjects = pw('id="" name=""');
    expect(withProjects.results.map((r) => [r.id, r.project, r.status])).toEqual([
      ['[chromium] a.spec.ts::t', 'chromium', 'failed'],
      ['[firefox] a.spec.ts::t', 'firefox', 'passed'],
    ]);
    expect(runState(asAttempt(withProjects.results)).failing).toEqual(['[chromium] a.spec.ts::t']);
    // Elsewhere hostname is the machine (pytest, vitest, Surefire) and must not split shards: without
    // Playwright's root `id`, the two are one id, and as retries the chromium failure becomes flaky.
    // That is why the shape matters.
    const other = pw('name="vitest tests"');
    expect(other.results.map((r) => r.id)).toEqual(['a.spec.ts::t']);
    expect(other.results[0]!.project).toBeUndefined();
  });

  it('baseDir makes absolute files relative, so ids do not depend on the checkout path', () => {
    const mochaLike = (dir: string) =>
      `<testsuites><testsuite name="arith" file="${dir}/tests/a.spec.mjs"><testcase classname="t" name="arith t"/></testsuite></testsuites>`;
    const a = parseJUnit(mochaLike('/agent1/ws'), { baseDir: '/agent1/ws' }).results[0]!;
    const b = parseJUnit(mochaLike('/agent2/ws'), { baseDir: '/agent2/ws/' }).results[0]!;
    expect([a.id, a.file]).toEqual(['tests/a.spec.mjs > t::arith t', 'tests/a.spec.mjs']);
    expect(b.id).toBe(a.id);
    // Without it (or outside it) the absolute path stays, and the two checkouts differ.
    expect(parseJUnit(mochaLike('/agent2/ws')).results[0]!.id).toBe(
      '/agent2/ws/tests/a.spec.mjs > t::arith t',
    );
    expect(parseJUnit(mochaLike('/agent2/ws'), { baseDir: '/agent2/w' }).results[0]!.file).toBe(
      '/agent2/ws/tests/a.spec.mjs',
    );
    const win = 'C:\\ws\\tests\\a.spec.mjs';
    const w = parseJUnit(`<testsuite name="s"><testcase file="${win}" classname="t" name="n"/></testsuite>`, {
      baseDir: 'C:\\ws',
    }).results[0]!;
    expect(w.id).toBe('tests/a.spec.mjs > t::n');
  });
});

describe('parseJUnit: time attribute', () => {
  it.each([
    ['1.5', 1500],
    ['0.0004', 0],
    ['1,234.5', 1_234_500],
    ['1,234', 1_234_000],
    ['1,5', 1500],
    [' 2 ', 2000],
    ['abc', 0],
    ['-3', 0],
    ['', 0],
    ['NaN', 0],
    ['0x10', 0],
  ])('time="%s" → %i ms', (time, ms) => {
    expect(only(suite(`<testcase name="t" time="${time}"/>`)).durationMs).toBe(ms);
  });

  it('missing time is 0', () => {
    expect(only(suite('<testcase name="t"/>')).durationMs).toBe(0);
  });
});

describe('parseJUnit: outcomes', () => {
  it.each([
    ['no child → passed', '<testcase name="t"/>', 'passed', undefined],
    [
      '<failure> → failed',
      '<testcase name="t"><failure message="m" type="E">trace</failure></testcase>',
      'failed',
      'm',
    ],
    ['<error> → error', '<testcase name="t"><error message="m"/></testcase>', 'error', 'm'],
    ['<skipped/> → skipped', '<testcase name="t"><skipped/></testcase>', 'skipped', undefined],
    ['<skipped message>', '<testcase name="t"><skipped message="later"/></testcase>', 'skipped', 'later'],
    [
      'skipped text becomes message',
      '<testcase name="t"><skipped>why not</skipped></testcase>',
      'skipped',
      'why not',
    ],
    [
      'failure without message: first text line',
      '<testcase name="t"><failure>\n\n  Error: x\n  at y</failure></testcase>',
      'failed',
      'Error: x',
    ],
    [
      'failure + teardown error → failed',
      '<testcase name="t"><failure message="f"/><error message="e"/></testcase>',
      'failed',
      'f',
    ],
    [
      'googletest status="notrun" → skipped',
      '<testcase name="t" status="notrun" result="suppressed"/>',
      'skipped',
      undefined,
    ],
    [
      'googletest result="skipped" → skipped',
      '<testcase name="t" status="run" result="skipped"/>',
      'skipped',
      undefined,
    ],
    [
      'status="run" result="completed" → passed',
      '<testcase name="t" status="run" result="completed"/>',
      'passed',
      undefined,
    ],
    ['error + skipped → error', '<testcase name="t"><skipped/><error message="e"/></testcase>', 'error', 'e'],
  ])('%s', (_label, tc, status, message) => {
    const r = only(suite(tc));
    expect(r.status).toBe(status);
    expect(r.message).toBe(message);
  });

  it('keeps every message and detail of a failure plus a teardown error', () => {
    const r = only(
      suite(
        '<testcase name="t"><failure message="f" type="AssertionError">ftrace</failure><error message="teardown boom">etrace</error></testcase>',
      ),
    );
    expect(r).toMatchObject({ status: 'failed', message: 'f', type: 'AssertionError' });
    expect(r.details).toBe('ftrace\n\n[error: teardown boom]\netrace');
  });

  it('keeps indentation of the first detail line but trims blank edges', () => {
    const r = only(suite('<testcase name="t"><failure>\n\n    at x\n  at y\n\n</failure></testcase>'));
    expect(r.details).toBe('    at x\n  at y');
  });
});

describe('parseJUnit: text content', () => {
  it('decodes CDATA, predefined and numeric entities, split CDATA', () => {
    const r = only(
      suite(
        '<testcase name="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;"><failure message="line1&#10;line2"><![CDATA[x < y && ]]]]><![CDATA[> &amp; raw]]></failure></testcase>',
      ),
    );
    expect(r.name).toBe('a & b <c> "d" \'e\' AB');
    expect(r.message).toBe('line1\nline2');
    expect(r.details).toBe('x < y && ]]> &amp; raw');
  });

  it('leaves unknown named entities as written (there is no DTD to define them)', () => {
    expect(only(suite('<testcase name="a &nbsp; b"/>')).name).toBe('a &nbsp; b');
  });

  it('strips ANSI sequences: raw ESC, &#x1B; references, pytest #x1B text, OSC links', () => {
    const esc = '\x1B';
    const r = only(
      suite(
        `<testcase name="t"><failure message="${esc}[31mred${esc}[0m &#x1B;[1mbold&#x1B;[22m">#x1B[32mgreen#x1B[0m ${esc}]8;;http://x${esc}\\link${esc}]8;;${esc}\\</failure><system-out>${esc}[2Kdone</system-out></testcase>`,
      ),
    );
    expect(r.message).toBe('red bold');
    expect(r.details).toBe('green link');
    expect(r.stdout).toBe('done');
  });

  it('tolerates NUL and other XML-invalid characters (raw and as references)', () => {
    const r = only(
      suite(
        '<testcase name="t\u0000x"><failure message="a&#0;b">c\u0001d\u0008e</failure><system-out>\uFFFEo</system-out></testcase>',
      ),
    );
    expect(r.name).toBe('t\uFFFDx');
    expect(r.message).toBe('a\uFFFDb');
    expect(r.details).toBe('c\uFFFDd\uFFFDe');
    expect(r.stdout).toBe('\uFFFDo');
  });

  it(`truncates output and details to maxOutputChars (default ${DEFAULT_MAX_OUTPUT_CHARS}) with a visible marker`, () => {
    const big = `${'a'.repeat(100_000)}END`;
    const r = only(
      suite(
        `<testcase name="t"><failure>START${big}</failure><system-out>${big}</system-out><system-err>short</system-err></testcase>`,
      ),
    );
    expect(r.details!.length).toBeLessThanOrEqual(DEFAULT_MAX_OUTPUT_CHARS);
    expect(r.details).toMatch(/^STARTa+\n…\[dozhim: \d+ characters truncated\]…\na+END$/);
    expect(r.stdout!.length).toBeLessThanOrEqual(DEFAULT_MAX_OUTPUT_CHARS);
    expect(r.stderr).toBe('short');
    const small = parseJUnit(suite(`<testcase name="t"><system-out>${big}</system-out></testcase>`), {
      maxOutputChars: 200,
    });
    expect(small.results[0]!.stdout!.length).toBeLessThanOrEqual(200);
    expect(small.results[0]!.stdout).toContain('characters truncated');
  });
});

describe('parseJUnit: output and properties', () => {
  it('attaches suite output to failing cases only', () => {
    const { results } = parseJUnit(
      '<testsuite name="S"><testcase name="ok"/><testcase name="bad"><failure/><system-out>own</system-out></testcase><system-out>suite log</system-out><system-err>suite err</system-err></testsuite>',
    );
    const m = byId(results);
    expect(m.get('S::ok')!.stdout).toBeUndefined();
    expect(m.get('S::bad')!.stdout).toBe('own\n[suite S system-out]\nsuite log');
    expect(m.get('S::bad')!.stderr).toBe('[suite S system-err]\nsuite err');
  });

  it('merges suite and case properties, the case winning, nested suites inheriting', () => {
    const r = only(
      '<testsuites><properties><property name="a" value="root"/></properties><testsuite name="S"><properties><property name="b" value="suite"/><property name="c" value="suite"/></properties><testsuite name="Inner"><testcase name="t"><properties><property name="c" value="case"/><property name="d">as text</property></properties></testcase></testsuite></testsuite></testsuites>',
    );
    expect(r.properties).toEqual({ a: 'root', b: 'suite', c: 'case', d: 'as text' });
    expect(r.suite).toBe('Inner');
  });

  it('reads file and line where given, file inherited from the suite', () => {
    const { results } = parseJUnit(
      '<testsuite name="S" file="suite.js"><testcase name="a" file="a.js" line="12"/><testcase name="b" line="x"/></testsuite>',
    );
    expect(results[0]).toMatchObject({ file: 'a.js', line: 12 });
    expect(results[1]!.file).toBe('suite.js');
    expect(results[1]!.line).toBeUndefined();
  });
});

describe('parseJUnit: retries inside one report', () => {
  it('only flaky* children → passed with evidence; failure + rerun* → failed', () => {
    const { results } = parseJUnit(
      suite(
        '<testcase name="flaky"><flakyFailure message="m1" type="T1" time="0.2"><stackTrace>st1</stackTrace><system-out>o1</system-out><system-err>e1</system-err></flakyFailure><flakyError message="m2"/></testcase>' +
          '<testcase name="broken"><failure message="f0"/><rerunFailure message="f1"/><rerunError message="f2"/></testcase>',
      ),
    );
    const m = byId(results);
    expect(m.get('S::flaky')).toMatchObject({
      status: 'passed',
      retries: [
        {
          kind: 'flakyFailure',
          message: 'm1',
          type: 'T1',
          details: 'st1',
          stdout: 'o1',
          stderr: 'e1',
          durationMs: 200,
        },
        { kind: 'flakyError', message: 'm2' },
      ],
    });
    expect(m.get('S::broken')).toMatchObject({ status: 'failed', message: 'f0' });
    expect(m.get('S::broken')!.retries.map((r) => r.kind)).toEqual(['rerunFailure', 'rerunError']);
    expect(runState(asAttempt(results)).flaky).toEqual(['S::flaky']);
  });

  const repeated = suite(
    '<testcase name="t" time="1"><failure message="try 1">tb1</failure><system-out>out1</system-out></testcase>' +
      '<testcase name="u"/>' +
      '<testcase name="t" time="2"><error message="try 2"/></testcase>' +
      '<testcase name="t" time="3"/>' +
      '<testcase name="v"><failure message="v1"/></testcase><testcase name="v"><failure message="v2"/></testcase>',
  );

  it("repeats: 'retries': a repeated testcase is one result, the last status wins, earlier failures are evidence", () => {
    const { results, counts, warnings } = parseJUnit(repeated, { repeats: 'retries' });
    expect(warnings).toEqual([]);
    expect(results.map((r) => r.id)).toEqual(['S::t', 'S::u', 'S::v']);
    const t = results[0]!;
    expect(t).toMatchObject({ status: 'passed', durationMs: 3000 });
    expect(t.retries).toEqual([
      { kind: 'flakyFailure', message: 'try 1', details: 'tb1', stdout: 'out1', durationMs: 1000 },
      { kind: 'flakyError', message: 'try 2', durationMs: 2000 },
    ]);
    // Still failing: like Surefire, the result shows the first failed try, later ones are reruns.
    expect(results[2]).toMatchObject({
      status: 'failed',
      message: 'v1',
      retries: [{ kind: 'rerunFailure', message: 'v2' }],
    });
    expect(counts).toEqual({ total: 3, passed: 2, failed: 1, error: 0, skipped: 0 });
    const state = runState(asAttempt(results));
    expect(state.flaky).toEqual(['S::t']);
    expect(state.failing).toEqual(['S::v']);
  });

  it('repeats: executions (default): the same report read without the option fails the test and says why', () => {
    const { results, counts, warnings } = parseJUnit(repeated);
    expect(results.map((r) => [r.id, r.status, r.executions])).toEqual([
      ['S::t', 'error', 3],
      ['S::u', 'passed', undefined],
      ['S::v', 'failed', 2],
    ]);
    // The most severe execution is shown (error outranks failure), durations add up, no retry evidence.
    expect(results[0]).toMatchObject({ message: 'try 2', durationMs: 6000, retries: [] });
    expect(results[2]).toMatchObject({ message: 'v1', retries: [] });
    expect(counts).toEqual({ total: 3, passed: 1, failed: 1, error: 1, skipped: 0 });
    expect(warnings).toEqual([
      expect.stringMatching(/^3 results share the id "S::t"; treated as one test that fails if any fails/),
      expect.stringMatching(/^2 results share the id "S::v"/),
    ]);
    const state = runState(asAttempt(results));
    expect(state.flaky).toEqual([]);
    expect(state.failing).toEqual(['S::t', 'S::v']);
  });

  it('executions: all passing stays one passing test, counted; skipped + passed is passed', () => {
    const { results, warnings } = parseJUnit(
      suite(
        '<testcase name="p" time="1"/><testcase name="p" time="1"/><testcase name="q"><skipped/></testcase><testcase name="q"/>',
      ),
    );
    expect(results.map((r) => [r.id, r.status, r.executions, r.durationMs])).toEqual([
      ['S::p', 'passed', 2, 2000],
      ['S::q', 'passed', 2, 0],
    ]);
    expect(warnings).toHaveLength(2);
  });

  it('executions: TestNG data provider / JUnit 5 @RepeatedTest shape, a later pass does not hide the first failure', () => {
    // TestNG writes one testcase per data-provider row with the method name only; the failing row first.
    const { results } = parseJUnit(
      '<testsuite name="com.example.PriceTest" tests="3" failures="1">' +
        '<testcase classname="com.example.PriceTest" name="rounds" time="0.01"><failure message="expected 3 but was 4" type="java.lang.AssertionError">row 2</failure></testcase>' +
        '<testcase classname="com.example.PriceTest" name="rounds" time="0.01"/>' +
        '<testcase classname="com.example.PriceTest" name="rounds" time="0.01"/></testsuite>',
    );
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed', message: 'expected 3 but was 4', executions: 3 });
    expect(runState(asAttempt(results)).flaky).toEqual([]);
    // The fooling input: the same file read as retries calls it flaky. Only the producer can say.
    const asRetries = parseJUnit(
      '<testsuite name="com.example.PriceTest"><testcase classname="com.example.PriceTest" name="rounds"><failure/></testcase><testcase classname="com.example.PriceTest" name="rounds"/></testsuite>',
      { repeats: 'retries' },
    );
    expect(runState(asAttempt(asRetries.results)).flaky).toEqual(['com.example.PriceTest::rounds']);
  });

  it('executions: Surefire flaky/rerun elements stay retry evidence, pytest phase errors stay one execution', () => {
    const { results, warnings } = parseJUnit(
      suite(
        '<testcase classname="c" name="f"><flakyFailure message="first try"/></testcase>' +
          '<testcase classname="m" name="a"/>' +
          '<testcase classname="m" name="a"><error message="failed on teardown with &quot;E&quot;">td</error></testcase>',
      ),
    );
    expect(warnings).toEqual([]);
    expect(results.map((r) => [r.id, r.status, r.executions, r.retries.length])).toEqual([
      ['c::f', 'passed', undefined, 1],
      ['m::a', 'error', undefined, 0],
    ]);
    expect(runState(asAttempt(results)).flaky).toEqual(['c::f']);
  });
  it('pytest 7 setup/teardown errors written as a second testcase are the same execution, not a retry', () => {
    const { results, counts } = parseJUnit(
      suite(
        '<testcase classname="m" name="a"><failure message="assert 1 == 2">call tb</failure></testcase>' +
          '<testcase classname="m" name="a"><error message="failed on teardown with &quot;RuntimeError: leak&quot;">td tb</error></testcase>' +
          '<testcase classname="m" name="b"/>' +
          '<testcase classname="m" name="b"><error message="failed on teardown with &quot;OSError&quot;" type="x">td2</error></testcase>',
      ),
    );
    expect(results.find((r) => r.id === 'm::a')).toMatchObject({
      status: 'failed',
      message: 'assert 1 == 2',
      details: 'call tb\n\n[error: failed on teardown with "RuntimeError: leak"]\ntd tb',
      retries: [],
    });
    // The call passed, its teardown broke: the test is in error (pytest: "1 passed, 1 error").
    expect(results.find((r) => r.id === 'm::b')).toMatchObject({
      status: 'error',
      message: 'failed on teardown with "OSError"',
      details: 'td2',
      retries: [],
    });
    expect(counts).toEqual({ total: 2, passed: 0, failed: 1, error: 1, skipped: 0 });
    expect(runState(asAttempt(results)).flaky).toEqual([]);
  });

  it('a failure merged with a phase error still respects maxOutputChars', () => {
    const big = 'f'.repeat(900);
    const { results } = parseJUnit(
      suite(
        `<testcase classname="m" name="a"><failure message="x">${big}</failure></testcase>` +
          `<testcase classname="m" name="a"><error message="failed on teardown with &quot;E&quot;">${big}</error></testcase>`,
      ),
      { maxOutputChars: 1000 },
    );
    expect(results[0]!.details!.length).toBeLessThanOrEqual(1000);
    expect(results[0]!.details).toContain('failed on teardown');
  });
});

describe('fixtures written from producers documented formats', () => {
  it('Surefire rerunFailingTestsCount', async () => {
    const { results, counts } = await read('surefire-reruns.xml');
    const m = byId(results);
    expect(counts).toEqual({ total: 4, passed: 2, failed: 1, error: 1, skipped: 0 });
    const pays = m.get('com.example.CheckoutIT::paysWithCard')!;
    expect(pays).toMatchObject({ status: 'passed', durationMs: 1204 });
    expect(pays.retries).toEqual([
      {
        kind: 'flakyFailure',
        message: 'expected:<200> but was:<503>',
        type: 'java.lang.AssertionError',
        details:
          'java.lang.AssertionError: expected:<200> but was:<503>\n\tat com.example.CheckoutIT.paysWithCard(CheckoutIT.java:42)',
        stdout: 'POST /pay -> 503',
        stderr: 'WARN gateway slow',
      },
    ]);
    const refunds = m.get('com.example.CheckoutIT::refunds')!;
    expect(refunds).toMatchObject({
      status: 'failed',
      message: 'refund not found',
      stdout: 'first run output',
    });
    expect(refunds.retries.map((r) => [r.kind, r.message, r.stdout])).toEqual([
      ['rerunFailure', 'refund not found (rerun 1)', 'rerun 1 output'],
      ['rerunFailure', 'refund not found (rerun 2)', undefined],
    ]);
    expect(m.get('com.example.CheckoutIT::connects')).toMatchObject({
      status: 'error',
      type: 'java.net.ConnectException',
    });
    const orders = m.get('com.example.CheckoutIT::listsOrders')!;
    expect(orders.properties).toEqual({ 'java.version': '17.0.9', env: 'case' });
    expect(orders.retries.map((r) => r.kind).sort()).toEqual(['flakyError', 'flakyFailure']);
    expect(runState(asAttempt(results)).flaky).toEqual([
      'com.example.CheckoutIT::listsOrders',
      'com.example.CheckoutIT::paysWithCard',
    ]);
  });

  it('Gradle mergeReruns', async () => {
    const { results, counts } = await read('gradle-merge-reruns.xml');
    const m = byId(results);
    expect(counts).toEqual({ total: 3, passed: 1, failed: 1, error: 0, skipped: 1 });
    expect(m.get('org.acme.SearchTest::findsByTitle()')!.retries).toEqual([
      {
        kind: 'flakyFailure',
        message: 'org.opentest4j.AssertionFailedError: expected: <3> but was: <2>',
        type: 'org.opentest4j.AssertionFailedError',
        details:
          'org.opentest4j.AssertionFailedError: expected: <3> but was: <2>\n\tat org.acme.SearchTest.findsByTitle(SearchTest.java:21)',
      },
    ]);
    const paginates = m.get('org.acme.SearchTest::paginates()')!;
    expect(paginates.status).toBe('failed');
    expect(paginates.retries.map((r) => r.kind)).toEqual(['rerunFailure']);
    // Gradle's default: output lives on the suite; failing cases get it attached.
    expect(paginates.stdout).toBe('[suite org.acme.SearchTest system-out]\nindexing 3 documents');
    expect(m.get('org.acme.SearchTest::findsByTitle()')!.stdout).toBeUndefined();
  });

  it('pytest xunit1: file/line, failure + teardown error, skips, #x1B escapes', async () => {
    const { results, counts } = await read('pytest-xunit1.xml');
    expect(counts).toEqual({ total: 4, passed: 1, failed: 1, error: 0, skipped: 2 });
    const login = results[0]!;
    expect(login).toMatchObject({
      id: 'tests.test_login::test_login[admin]',
      file: 'tests/test_login.py',
      line: 11,
      status: 'failed',
      message: 'AssertionError: assert 401 == 200',
      stdout: 'logging in',
      properties: { owner: 'auth-team' },
      durationMs: 101,
    });
    expect(login.details).toContain('E       AssertionError: assert 401 == 200');
    expect(login.details).toContain('[error: failed on teardown with "RuntimeError: session leak"]');
    expect(login.details).toContain('E       RuntimeError: session leak');
    expect(results[2]).toMatchObject({ status: 'skipped', message: 'needs SSO server', type: 'pytest.skip' });
    expect(results[3]!.status).toBe('skipped');
    expect(results[3]!.message).toBeUndefined();
  });

  it('jest-junit: file attribute, message from text, ANSI, a repeated testcase', async () => {
    const couponId = 'src/cart.test.ts > cart applies a coupon::cart applies a coupon';
    // Default: the two testcases are two executions; one failed, so the test fails.
    const asExecutions = await read('jest-junit.xml');
    expect(asExecutions.counts).toEqual({ total: 2, passed: 1, failed: 1, error: 0, skipped: 0 });
    expect(byId(asExecutions.results).get(couponId)).toMatchObject({ status: 'failed', executions: 2 });
    expect(asExecutions.warnings).toEqual([expect.stringContaining(JSON.stringify(couponId))]);
    expect(runState(asAttempt(asExecutions.results)).flaky).toEqual([]);
    // Only when told the producer writes retries that way is it a flaky pass.
    const { results, counts } = await readJUnitFile(fixture('jest-junit.xml'), { repeats: 'retries' });
    expect(counts).toEqual({ total: 2, passed: 2, failed: 0, error: 0, skipped: 0 });
    const coupon = byId(results).get(couponId)!;
    expect(coupon).toMatchObject({ status: 'passed', file: 'src/cart.test.ts', durationMs: 900 });
    expect(coupon.retries).toHaveLength(1);
    expect(coupon.retries[0]).toMatchObject({
      kind: 'flakyFailure',
      message: 'Error: expect(received).toBe(expected)',
    });
    expect(coupon.retries[0]!.details).not.toContain('\x1B');
    expect(runState(asAttempt(results)).flaky).toEqual([couponId]);
  });

  it('Playwright: project in the id, retries as repeated testcases, properties on the case', async () => {
    const paysId = '[chromium] checkout.spec.ts::checkout › pays';
    const asExecutions = await read('playwright.xml');
    expect(byId(asExecutions.results).get(paysId)).toMatchObject({ status: 'failed', executions: 2 });
    const { results, counts } = await readJUnitFile(fixture('playwright.xml'), { repeats: 'retries' });
    expect(counts).toEqual({ total: 2, passed: 1, failed: 1, error: 0, skipped: 0 });
    const pays = byId(results).get(paysId)!;
    expect(pays).toMatchObject({
      status: 'passed',
      properties: { 'annotation.issue': 'https://example.com/issues/1' },
    });
    expect(pays.retries[0]).toMatchObject({ kind: 'flakyFailure', type: 'FAILURE' });
    expect(pays.retries[0]!.stdout).toContain('[[ATTACHMENT|test-results/checkout-pays/trace.zip]]');
  });

  it('jest-junit: describe("group a") › "b c" vs describe("group") › "a b c" need the title templates', async () => {
    // Default templates (and ANCESTOR_SEPARATOR alone): the file says "the same test twice". Read as
    // executions it is one failing test with a warning, never a flaky one.
    const collided = await read('jest-junit-title-collision.xml');
    const id = 'col.test.js > group a b c::group a b c';
    expect(collided.results.map((r) => [r.id, r.status, r.executions])).toEqual([[id, 'failed', 2]]);
    expect(collided.warnings).toEqual([expect.stringContaining(JSON.stringify(id))]);
    expect(runState(asAttempt(collided.results))).toMatchObject({ failing: [id], flaky: [] });
    // What would fool it: the same file read as retries reports the failure as flaky.
    const fooled = await readJUnitFile(fixture('jest-junit-title-collision.xml'), { repeats: 'retries' });
    expect(runState(asAttempt(fooled.results)).flaky).toEqual([id]);
    // With JEST_JUNIT_CLASSNAME/TITLE="{classname} › {title}" the boundary survives: two tests.
    const separated = await read('jest-junit-title-separated.xml');
    expect(separated.results.map((r) => [r.id, r.status])).toEqual([
      ['col.test.js > group a › b c::group a › b c', 'failed'],
      ['col.test.js > group › a b c::group › a b c', 'passed'],
    ]);
    expect(separated.warnings).toEqual([]);
  });

  it('Playwright projects and --repeat-each: one id per project, repetitions are executions', async () => {
    const report = await read('playwright-projects.xml');
    expect(report.results.map((r) => [r.id, r.status, r.executions])).toEqual([
      ['[chromium] cart.spec.ts::cart › adds', 'failed', undefined],
      ['[chromium] cart.spec.ts::cart › repeats', 'failed', 2],
      ['[firefox] cart.spec.ts::cart › adds', 'passed', undefined],
      ['[firefox] cart.spec.ts::cart › repeats', 'passed', 2],
    ]);
    expect(report.results[1]!.message).toBe('cart.spec.ts:9:3 repeats');
    const state = runState(asAttempt(report.results));
    expect(state).toMatchObject({
      failing: ['[chromium] cart.spec.ts::cart › adds', '[chromium] cart.spec.ts::cart › repeats'],
      flaky: [],
    });
    // What would fool it: the same file without Playwright's root `id` (hostname then means the
    // machine) read as retries: the chromium failures become "flaky" because firefox passed.
    const xml = readFileSync(fixture('playwright-projects.xml'), 'utf8').replace(
      '<testsuites id=""',
      '<testsuites',
    );
    const fooled = parseJUnit(xml, { repeats: 'retries' });
    expect(runState(asAttempt(fooled.results)).flaky).toEqual([
      'cart.spec.ts::cart › adds',
      'cart.spec.ts::cart › repeats',
    ]);
    // Even then the default rule keeps them failing.
    expect(runState(asAttempt(parseJUnit(xml).results)).failing).toHaveLength(2);
  });

  it('nested suites (PHPUnit): innermost suite, inherited file and properties', async () => {
    const { results } = await read('nested-suites.xml');
    expect(results.map((r) => [r.id, r.suite, r.file, r.line, r.properties.level])).toEqual([
      [
        '/app/tests/MathTest.php > Acme.MathTest::testAdds',
        'Acme\\MathTest',
        '/app/tests/MathTest.php',
        12,
        'root',
      ],
      [
        '/app/tests/MathTest.php > Acme\\MathTest::testDivides with data set #0',
        'Acme\\MathTest::testDivides',
        '/app/tests/MathTest.php',
        20,
        'provider',
      ],
      [
        '/app/tests/MathTest.php::testDivides with data set #1',
        'Acme\\MathTest::testDivides',
        '/app/tests/MathTest.php',
        undefined,
        'provider',
      ],
    ]);
  });

  it('gotestsum: empty type, package output attached to the failure', async () => {
    const { results } = await read('gotestsum.xml');
    const failed = results.find((r) => r.status === 'failed')!;
    expect(failed).toMatchObject({
      id: 'example.com/shop/cart::TestDiscount/ten_percent',
      message: 'Failed',
    });
    expect(failed.type).toBeUndefined();
    expect(failed.details).toContain('cart_test.go:31: got 90, want 91');
    expect(failed.stdout).toBe(
      '[suite example.com/shop/cart system-out]\nFAIL\texample.com/shop/cart\t0.420s',
    );
    expect(failed.properties).toEqual({ 'go.version': 'go1.19' });
  });
});

describe('readJUnitFile', () => {
  it('names the file in results and errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-reader-'));
    const path = join(dir, 'report.xml');
    writeFileSync(path, '<testsuite><testcase name="a"/></testsuite>');
    expect((await readJUnitFile(path)).source).toBe(path);
    writeFileSync(path, '<testsuite><testcase name="a"></testsuite>');
    await expect(readJUnitFile(path)).rejects.toMatchObject({
      name: 'JUnitParseError',
      code: 'malformed',
      source: path,
    });
  });

  it('lets a missing file fail with the fs error', async () => {
    await expect(readJUnitFile(join(tmpdir(), 'dozhim-no-such-file.xml'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
