import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JUnitParseError, parseJUnit, readJUnitFile } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A local server that must never be contacted: any request means an external entity was resolved.
let requests = 0;
let base = '';
const server = createServer((_req, res) => {
  requests++;
  res.end('<!ENTITY exfil "leaked">');
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs `fn`, which must throw a JUnitParseError within 1 s, and returns it. */
async function rejectsFast(fn: () => unknown): Promise<JUnitParseError> {
  const started = performance.now();
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  const elapsed = performance.now() - started;
  expect(caught).toBeInstanceOf(JUnitParseError);
  // Each refusal takes well under 100 ms on an idle machine (the 16 MiB of /dev/zero is the slowest);
  // the bound is 30x that so a loaded CI machine does not fail it, and still catches a reader that
  // parses the whole attack or never stops reading.
  expect(elapsed).toBeLessThan(3000);
  return caught as JUnitParseError;
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 ${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('\n ')}
]>
<testsuites><testsuite name="&lol9;"><testcase name="t"/></testsuite></testsuites>`;

/** Deterministic pseudo-random bytes (xorshift), so a failure can be reproduced. */
function randomBytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const valid =
  '<?xml version="1.0"?>\n<testsuites>\n  <testsuite name="s">\n    <testcase name="a" time="1"><failure message="m">trace</failure></testcase>\n  </testsuite>\n</testsuites>\n';

describe('DTDs and entities are refused, never resolved', () => {
  const cases: [string, () => string][] = [
    [
      'XXE file entity',
      () =>
        `<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<testsuites name="&xxe;"/>`,
    ],
    ['XXE over http', () => `<!DOCTYPE r [<!ENTITY xxe SYSTEM "${base}/xxe">]><testsuites name="&xxe;"/>`],
    [
      'OOB parameter entity',
      () => `<!DOCTYPE r [<!ENTITY % remote SYSTEM "${base}/evil.dtd"> %remote; %exfil;]><testsuites/>`,
    ],
    ['external DTD subset', () => `<!DOCTYPE testsuites SYSTEM "${base}/junit.dtd"><testsuites/>`],
    ['billion laughs', () => billionLaughs],
    [
      'DOCTYPE after the root started',
      () => '<testsuites><!DOCTYPE x [<!ENTITY a "b">]><testsuite/></testsuites>',
    ],
    ['bare <!ENTITY> in the body', () => '<testsuites><!ENTITY a "b"><testsuite/></testsuites>'],
    ['lower-case <!doctype> (HTML)', () => '<!doctype html><html><body>502 Bad Gateway</body></html>'],
    ['conditional section', () => '<testsuites><![INCLUDE[ x ]]></testsuites>'],
    // ANSI sequences are stripped before parsing: they must not hide a declaration from the check.
    ['DOCTYPE split by a raw ANSI sequence', () => '<\x1b[0m!DOCTYPE x [<!ELEMENT x ANY>]><testsuites/>'],
    ["DOCTYPE split by pytest's #x1B text", () => '<#x1B[0m!DOCTYPE x [<!ELEMENT x ANY>]><testsuites/>'],
    [
      'CDATA end split by ANSI, hiding a DOCTYPE behind it',
      () => '<testsuites><![CDATA[ a ]]\x1b[0m><!DOCTYPE x [<!ELEMENT x ANY>]>]]></testsuites>',
    ],
  ];
  it.each(cases)('%s → forbidden-dtd', async (_label, xml) => {
    const err = await rejectsFast(() => parseJUnit(xml(), { source: 'evil.xml' }));
    expect(err).toMatchObject({ code: 'forbidden-dtd', source: 'evil.xml' });
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeGreaterThanOrEqual(1);
    expect(requests).toBe(0);
  });

  it('never follows XInclude (it is just an unknown element)', () => {
    const xml = `<testsuite><testcase name="t"><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${base}/inc" parse="text"/></testcase></testsuite>`;
    expect(parseJUnit(xml).results).toHaveLength(1);
    expect(requests).toBe(0);
  });

  it.each([
    [
      'UTF-16 without BOM',
      () =>
        Buffer.from(`<!DOCTYPE r [<!ENTITY x SYSTEM "${base}/u16">]><testsuites>&x;</testsuites>`, 'utf16le'),
    ],
    [
      'declared UTF-7 (+ADw- is "<")',
      () =>
        Buffer.from(
          `<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY x SYSTEM +ACI-${base}/u7+ACI-+AD4-+AF0-+AD4-<testsuites/>`,
        ),
    ],
  ])('encoding tricks do not smuggle a DTD in: %s', async (_label, bytes) => {
    const err = await rejectsFast(() => parseJUnit(bytes()));
    expect(['malformed', 'forbidden-dtd', 'not-junit']).toContain(err.code);
    expect(requests).toBe(0);
  });

  it('reports the position of the declaration', async () => {
    const err = await rejectsFast(() => parseJUnit('<?xml version="1.0"?>\n  <!DOCTYPE x>\n<testsuites/>'));
    expect([err.line, err.column]).toEqual([2, 3]);
  });

  it('allows DOCTYPE text inside CDATA and comments (captured HTML pages are common output)', () => {
    const xml =
      '<!-- <!DOCTYPE x> --><testsuite name="s"><testcase name="t"><failure><![CDATA[<!DOCTYPE html><html>page</html>]]></failure><system-out>&lt;!DOCTYPE html&gt;</system-out></testcase></testsuite>';
    const r = parseJUnit(xml).results[0]!;
    expect(r.details).toBe('<!DOCTYPE html><html>page</html>');
    expect(r.stdout).toBe('<!DOCTYPE html>');
  });
});

describe('unreadable input fails fast with a typed error', () => {
  const cases: [string, string | Uint8Array, string][] = [
    ['0 bytes', new Uint8Array(0), 'empty'],
    ['empty string', '', 'empty'],
    ['whitespace and BOM only', '\uFEFF \n\t ', 'empty'],
    ['truncated report', valid.slice(0, valid.indexOf('trace') + 3), 'malformed'],
    ['truncated in a tag', valid.slice(0, 60), 'malformed'],
    [
      'unclosed CDATA',
      '<testsuite><testcase name="t"><failure><![CDATA[boom</failure></testcase></testsuite>',
      'malformed',
    ],
    ['unclosed comment', '<testsuite><!-- x <testcase name="t"/></testsuite>', 'malformed'],
    ['mismatched tags', '<testsuites><testsuite><testcase name="t"></testsuite></testsuites>', 'malformed'],
    ['two roots', '<testsuite/><testsuite/>', 'malformed'],
    ['plain text', 'Segmentation fault (core dumped)\n', 'malformed'],
    ['JSON', '{"testsuites": []}', 'malformed'],
    [
      'HTML error page',
      '<html><head><title>502</title></head><body><h1>Bad Gateway</h1><br></body></html>',
      'malformed',
    ],
    ['well-formed HTML', '<html><body><h1>Bad Gateway</h1></body></html>', 'not-junit'],
    ['xUnit.net report', '<assemblies><assembly name="a.dll"/></assemblies>', 'not-junit'],
    ['TRX-like root', '<?xml version="1.0"?><TestRun id="1"/>', 'not-junit'],
    ['10 000 nested suites', `${'<testsuite>'.repeat(10_000)}${'</testsuite>'.repeat(10_000)}`, 'malformed'],
    ['256 KB of "<"', '<'.repeat(256 * 1024), 'malformed'],
    [
      'a stray "<!-" (the parser would swallow the rest)',
      '<testsuites><!- x --><testsuite/></testsuites>',
      'malformed',
    ],
  ];
  it.each(cases.map(([label, input, code]) => [label, code, input] as const))(
    '%s → %s',
    async (_label, code, input) => {
      const err = await rejectsFast(() => parseJUnit(input, { source: 'bad.xml' }));
      expect(err.code).toBe(code);
      expect(err.source).toBe('bad.xml');
      expect(err.message).toContain('bad.xml');
    },
  );

  it('malformed input reports the parser position', async () => {
    const err = await rejectsFast(() =>
      parseJUnit('<testsuites>\n  <testsuite>\n    <testcase name="t">\n  </testsuite>\n</testsuites>'),
    );
    expect(err.code).toBe('malformed');
    expect(err.line).toBe(4);
    expect(err.column).toBeGreaterThan(0);
  });

  it('a truncated real report names the line and column where it ends and what was left open', async () => {
    const real = readFileSync(new URL('./fixtures/real/mocha.xml', import.meta.url), 'utf8');
    const lastLine = (text: string) => text.split('\n').length;
    const lastColumn = (text: string) => text.length - text.lastIndexOf('\n');
    // Cut right after a complete testcase: inside <testsuite>, with where it was opened.
    const afterCase = real.slice(0, real.indexOf('</testcase>') + '</testcase>'.length);
    const e1 = await rejectsFast(() => parseJUnit(afterCase, { source: 'report.xml' }));
    expect(e1.message).toBe(
      `report.xml: line ${lastLine(afterCase)}, column ${lastColumn(afterCase)}: the file ends inside <testsuite> (opened at line 5, column 3), in <testsuites>: the report is truncated`,
    );
    expect([e1.code, e1.line, e1.column]).toEqual(['malformed', lastLine(afterCase), lastColumn(afterCase)]);
    // Cut inside a stack trace (CDATA) and inside an attribute value.
    const inTrace = real.slice(0, real.indexOf('at Context.<anonymous>') + 10);
    expect((await rejectsFast(() => parseJUnit(inTrace, { source: 'r.xml' }))).message).toBe(
      `r.xml: line ${lastLine(inTrace)}, column ${lastColumn(inTrace)}: the file ends inside a CDATA section, in <failure> in <testcase> in <testsuite> in <testsuites>: the report is truncated`,
    );
    const inAttr = real.slice(0, real.indexOf('name="arith divides') + 12);
    expect((await rejectsFast(() => parseJUnit(inAttr))).message).toContain(
      'the file ends inside an attribute value of the <testcase> start tag, in <testsuite> in <testsuites>',
    );
    // Not a truncation: mismatched tags keep the parser's reason, also with line and column.
    const mismatched = await rejectsFast(() =>
      parseJUnit('<testsuites>\n<testsuite>\n</testcase>\n</testsuites>'),
    );
    expect(mismatched.message).toMatch(/^<input>: line 3, column \d+: not well-formed XML: /);
    expect(mismatched.message).not.toContain('truncated');
    // A complete report with trailing garbage is not called truncated either.
    const garbage = await rejectsFast(() => parseJUnit(`${real}<testsuite>`));
    expect(garbage.message).not.toContain('truncated');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random bytes (seed %i) → typed error', async (seed) => {
    const err = await rejectsFast(() => parseJUnit(randomBytes(seed, 256 * 1024)));
    expect(['malformed', 'not-junit', 'forbidden-dtd', 'empty']).toContain(err.code);
  });

  it('random bytes after a valid prefix → malformed', async () => {
    const bytes = Buffer.concat([
      Buffer.from('<testsuites><testsuite name="s">'),
      randomBytes(99, 64 * 1024),
    ]);
    const err = await rejectsFast(() => parseJUnit(bytes));
    expect(['malformed', 'forbidden-dtd']).toContain(err.code);
  });
});

describe('pathological but well-formed input stays linear', () => {
  it.each([
    [
      '512 KB attribute of bare "&" (no ";" to find)',
      `<testsuite><testcase name="${'&'.repeat(512 * 1024)}"/></testsuite>`,
    ],
    [
      '64 K entity references',
      `<testsuite><testcase name="t"><system-out>${'&lt;&#65;'.repeat(64 * 1024)}</system-out></testcase></testsuite>`,
    ],
    [
      '20 000 attributes',
      `<testsuite><testcase name="t" ${Array.from({ length: 20_000 }, (_, i) => `a${i}="x"`).join(' ')}/></testsuite>`,
    ],
  ])('%s parses within 3 s', (_label, xml) => {
    // About 0.2-0.4 s on the project machine; the bound is 10x that (the machine is shared: 20 000
    // attributes took 1.7 s at load average 17). Quadratic behaviour would take minutes.
    const started = performance.now();
    expect(parseJUnit(xml).results).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('size cap', () => {
  it('rejects a string over maxBytes', async () => {
    const err = await rejectsFast(() => parseJUnit(valid, { maxBytes: 50, source: 's.xml' }));
    expect(err).toMatchObject({ code: 'too-large', source: 's.xml' });
  });

  it('counts bytes, not characters', async () => {
    const xml = `<testsuite><testcase name="${'ж'.repeat(40)}"/></testsuite>`;
    expect(() => parseJUnit(xml, { maxBytes: xml.length + 10 })).toThrow(JUnitParseError);
    expect(parseJUnit(xml, { maxBytes: Buffer.byteLength(xml) }).results).toHaveLength(1);
  });

  it('refuses a 200 MB file by its size, before reading it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-hostile-'));
    const path = join(dir, 'huge.xml');
    writeFileSync(path, '<testsuites>');
    truncateSync(path, 200 * 1024 * 1024); // sparse: no 200 MB written to disk
    const err = await rejectsFast(() => readJUnitFile(path));
    expect(err).toMatchObject({ code: 'too-large', source: path });
    expect(err.message).toContain(String(200 * 1024 * 1024));
  });

  it('reads an endless device only up to the cap (/dev/zero reports size 0)', async () => {
    const err = await rejectsFast(() => readJUnitFile('/dev/zero', { maxBytes: 16 * 1024 * 1024 }));
    expect(err).toMatchObject({ code: 'too-large', source: '/dev/zero' });
  });

  it('reads a report through a named pipe (process substitution)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-hostile-'));
    const fifo = join(dir, 'report.xml');
    execFileSync('mkfifo', [fifo]);
    const writing = writeFile(fifo, '<testsuite name="s"><testcase name="t"/></testsuite>');
    const report = await readJUnitFile(fifo);
    await writing;
    expect(report.results.map((r) => r.id)).toEqual(['s::t']);
  });

  it('refuses a 0-byte file as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-hostile-'));
    const path = join(dir, 'empty.xml');
    writeFileSync(path, '');
    expect(await rejectsFast(() => readJUnitFile(path))).toMatchObject({ code: 'empty', source: path });
  });
});

describe('no prototype pollution through names', () => {
  it('treats __proto__ and constructor values as plain strings', () => {
    const xml =
      '<testsuite name="__proto__"><testcase name="constructor" classname="__proto__"><properties><property name="__proto__" value="p"/><property name="constructor" value="c"/></properties></testcase></testsuite>';
    const r = parseJUnit(xml).results[0]!;
    expect(r.id).toBe('__proto__::constructor');
    expect(Object.getOwnPropertyNames(r.properties).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(r.properties)).toBe(Object.prototype);
  });

  it.each([
    ['a __proto__ element', '<testsuite><__proto__><polluted>yes</polluted></__proto__></testsuite>'],
    ['a constructor element', '<testsuite><constructor><polluted>yes</polluted></constructor></testsuite>'],
  ])('refuses %s with a typed error and pollutes nothing', async (_label, xml) => {
    expect((await rejectsFast(() => parseJUnit(xml))).code).toBe('malformed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
