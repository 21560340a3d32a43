// The streaming reader (readJUnitStream, readJUnitFile) against the whole-string one (parseJUnit): the
// same input must give the same report or the same refusal, wherever the chunk edges fall. Chunk edges
// are where a streaming reader can be fooled (a DOCTYPE, an ANSI sequence, a reference or a UTF-8
// sequence split in two), so the hostile cases are tried at every split position.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JUnitParseError, type ParsedReport, parseJUnit, readJUnitFile, readJUnitStream } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixtureFiles = ['handwritten', 'real'].flatMap((dir) =>
  readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => `${dir}/${f}`),
);

/** `bytes` as chunks of `size` bytes (a 1-byte chunk splits every UTF-8 sequence). */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
/** `bytes` split once, at `at`. */
async function* splitAt(bytes: Uint8Array, at: number): AsyncGenerator<Uint8Array> {
  yield bytes.subarray(0, at);
  yield bytes.subarray(at);
}

const streamed = (input: string | Uint8Array, size: number, source = '<input>') =>
  readJUnitStream(chunked(typeof input === 'string' ? Buffer.from(input) : input, size), { source });

/** The report or the refusal, comparable across readers. */
async function outcome(read: () => ParsedReport | Promise<ParsedReport>): Promise<unknown> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof JUnitParseError)) throw e;
    return { code: e.code };
  }
}

describe('streaming gives the same report as the whole-string reader', () => {
  it.each(fixtureFiles)('%s in chunks of 1, 7, 64 and 65 536 bytes', async (file) => {
    const bytes = readFileSync(new URL(file, FIXTURES));
    const whole = parseJUnit(bytes, { source: file });
    expect(whole.results.length).toBeGreaterThan(0);
    for (const size of [1, 7, 64, 65_536]) {
      expect(await streamed(bytes, size, file)).toEqual(whole);
    }
    expect(await readJUnitFile(fileURLPath(file), { source: file })).toEqual(whole);
  });

  it('UTF-16 with BOM and a declared ISO-8859-1 file decode the same in 1-byte chunks', async () => {
    const xml = '<testsuite name="s"><testcase name="ünï ✓"/></testsuite>';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    expect((await streamed(utf16, 1)).results[0]!.name).toBe('ünï ✓');
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><testsuite><testcase name="ünï"/></testsuite>',
      'latin1',
    );
    expect((await streamed(latin1, 1)).results[0]!.name).toBe('ünï');
  });

  it('root properties written after the suites still apply to every result', async () => {
    const xml =
      '<testsuites><testsuite name="s"><testcase name="a"/></testsuite><testcase name="b"/>' +
      '<properties><property name="env" value="ci"/></properties></testsuites>';
    for (const size of [1, 1000]) {
      const { results } = await streamed(xml, size);
      expect(results.map((r) => [r.id, r.properties.env])).toEqual([
        ['s::a', 'ci'],
        ['b', 'ci'], // the root has no name: no suite in the id
      ]);
    }
  });

  it('a bare testsuite root: its properties and output after the testcases still count', async () => {
    const xml =
      '<testsuite name="s"><testcase name="a"><failure>boom</failure></testcase>' +
      '<system-out>suite log</system-out><properties><property name="p" value="1"/></properties></testsuite>';
    const [r] = (await streamed(xml, 3)).results;
    expect(r).toMatchObject({ status: 'failed', properties: { p: '1' } });
    expect(r!.stdout).toContain('suite log');
  });
});

describe('chunk edges cannot hide anything', () => {
  const hostile: [string, string, string][] = [
    ['a DOCTYPE', '<testsuites><!DOCTYPE x [<!ENTITY a "b">]><testsuite/></testsuites>', 'forbidden-dtd'],
    [
      'a DOCTYPE split by an ANSI sequence',
      '<testsuites><\x1b[0m!DOCTYPE x><testsuite/></testsuites>',
      'forbidden-dtd',
    ],
    ['a conditional section', '<testsuites><![INCLUDE[ x ]]></testsuites>', 'forbidden-dtd'],
    ['a stray "<!-"', '<testsuites><!- x --><testsuite/></testsuites>', 'malformed'],
    ['a bare & in a tag name', '<testsuites><test&suite/></testsuites>', 'malformed'],
  ];
  it.each(hostile)('%s is refused at every split position', async (_label, xml, code) => {
    const bytes = Buffer.from(xml);
    expect(await outcome(() => parseJUnit(xml))).toEqual({ code });
    for (let at = 1; at < bytes.length; at++) {
      expect(await outcome(() => readJUnitStream(splitAt(bytes, at)))).toEqual({ code });
    }
  });

  it('a refused declaration names the same line and column in any chunking as in one string', async () => {
    // 30 lines before it, so the position crosses chunk edges in every chunking.
    const xml = `<testsuites>\n  <testsuite name="s">\n${'    <testcase name="t"/>\n'.repeat(30)}  <!DOCTYPE x>\n</testsuite></testsuites>`;
    const refusal = async (read: () => unknown) => {
      try {
        await read();
      } catch (e) {
        if (!(e instanceof JUnitParseError)) throw e;
        return { code: e.code, line: e.line, column: e.column, message: e.message };
      }
      throw new Error('not refused');
    };
    const whole = await refusal(() => parseJUnit(xml));
    expect(whole).toMatchObject({ code: 'forbidden-dtd', line: 33, column: 3 });
    for (const size of [1, 7, 64, 100, 4096]) expect(await refusal(() => streamed(xml, size))).toEqual(whole);
    // Lone CRs (old Mac line ends): counted the same way on both paths.
    const cr = xml.replaceAll('\n', '\r');
    const crWhole = await refusal(() => parseJUnit(cr));
    for (const size of [1, 7, 64, 4096]) expect(await refusal(() => streamed(cr, size))).toEqual(crWhole);
  });

  const benign: [string, string, (r: ParsedReport) => unknown, unknown][] = [
    [
      'a DOCTYPE inside CDATA (captured HTML)',
      '<testsuite><testcase name="t"><failure><![CDATA[<!DOCTYPE html><p>x]]></failure></testcase></testsuite>',
      (r) => r.results[0]!.details,
      '<!DOCTYPE html><p>x',
    ],
    [
      'a comment with -- inside and --->',
      '<testsuite><!-- run with --repeat-each 2 ---><testcase name="t"/></testsuite>',
      (r) => r.results[0]!.id,
      't',
    ],
    [
      'bare & in an attribute and a reference',
      '<testsuite><testcase name="Tom & Jerry &amp; &#65;"/></testsuite>',
      (r) => r.results[0]!.name,
      'Tom & Jerry & A',
    ],
    [
      '"]]>" in text and in an attribute outside CDATA (captured XML)',
      '<testsuite><testcase name="a]]>b"><system-out>x ]]> y]]</system-out></testcase></testsuite>',
      (r) => [r.results[0]!.name, r.results[0]!.stdout],
      ['a]]>b', 'x ]]> y]]'],
    ],
    [
      'an ANSI colour in a message',
      '<testsuite><testcase name="t"><failure message="\x1b[31mred\x1b[0m"/></testcase></testsuite>',
      (r) => r.results[0]!.message,
      'red',
    ],
    [
      'a 4-byte UTF-8 character',
      '<testsuite><testcase name="t 😀"/></testsuite>',
      (r) => r.results[0]!.name,
      't 😀',
    ],
  ];
  it.each(benign)('%s reads the same at every split position', async (_label, xml, pick, expected) => {
    const bytes = Buffer.from(xml);
    expect(pick(parseJUnit(xml))).toEqual(expected);
    for (let at = 1; at < bytes.length; at++) {
      expect(pick(await readJUnitStream(splitAt(bytes, at)))).toEqual(expected);
    }
  });

  it('invalid UTF-8 decodes to the same U+FFFDs at every split position as in one buffer, BOMs as before', async () => {
    // A lone continuation byte, a cut 3-byte sequence, an overlong `/`, an encoded surrogate, 0xFF,
    // then a valid 4-byte character; after a UTF-8 BOM and two more U+FEFF (the decoder, the cleaner
    // and saxes each drop one, on both paths).
    const bad = [0x80, 0x20, 0xe2, 0x82, 0x41, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xf0, 0x9f, 0x98, 0x80];
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]),
      Buffer.from('<testsuite><testcase name="x'),
      Buffer.from(bad),
      Buffer.from('y"/></testsuite>'),
    ]);
    const whole = await outcome(() => parseJUnit(bytes));
    const name = (whole as ParsedReport).results[0]!.name;
    expect(name).toBe(`x${new TextDecoder().decode(Buffer.from(bad))}y`);
    expect(name).toContain('\uFFFD');
    for (let at = 1; at < bytes.length; at++) {
      expect(await outcome(() => readJUnitStream(splitAt(bytes, at)))).toEqual(whole);
    }
    expect(await outcome(() => streamed(bytes, 1))).toEqual(whole);
  });

  it('U+FDD0 (the internal mark for a bare &) in the input never turns into a "&"', async () => {
    const xml = '<testsuite><testcase name="a\uFDD0b & c"/></testsuite>';
    expect(parseJUnit(xml).results[0]!.name).toBe('a\uFFFDb & c');
    expect((await streamed(xml, 2)).results[0]!.name).toBe('a\uFFFDb & c');
  });
});

describe('streaming refusals', () => {
  it('counts bytes against maxBytes as they arrive', async () => {
    const endless = async function* () {
      for (let i = 0; i < 1000; i++) yield Buffer.from('<testsuites>'.repeat(100));
    };
    const err = await readJUnitStream(endless(), { maxBytes: 10_000, source: 'pipe' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'too-large', source: 'pipe' });
  });

  it('over the cap is said even when the start is already malformed', async () => {
    const garbage = async function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(1000, 0x41);
    };
    expect(await readJUnitStream(garbage(), { maxBytes: 10_000 }).catch((e) => e)).toMatchObject({
      code: 'too-large',
    });
  });

  it('empty and blank streams are empty', async () => {
    expect(await outcome(() => readJUnitStream(chunked(Buffer.from(''), 1)))).toEqual({ code: 'empty' });
    expect(await outcome(() => readJUnitStream(chunked(Buffer.from('\uFEFF \n '), 1)))).toEqual({
      code: 'empty',
    });
  });

  it('a truncated stream says where it ends and what was open', async () => {
    const xml = '<testsuites>\n  <testsuite name="s">\n    <testcase name="a"/>\n';
    const err = await readJUnitStream(chunked(Buffer.from(xml), 5), { source: 'pipe' }).catch((e) => e);
    expect(err).toBeInstanceOf(JUnitParseError);
    expect(err.code).toBe('malformed');
    expect(err.message).toMatch(
      /^pipe: line \d+, column \d+: the file ends inside <testsuite> in <testsuites>: the report is truncated$/,
    );
  });

  it('a truncated file gives exactly the whole-string message (line, column, where opened)', async () => {
    const real = readFileSync(new URL('real/mocha.xml', FIXTURES), 'utf8');
    const cut = real.slice(0, real.indexOf('</testcase>') + '</testcase>'.length);
    const path = join(mkdtempSync(join(tmpdir(), 'dozhim-stream-')), 'cut.xml');
    writeFileSync(path, cut);
    const fromString = await outcome(() => parseJUnit(cut, { source: path }));
    const fromFile = await readJUnitFile(path).catch((e) => e);
    expect(fromString).toEqual({ code: 'malformed' });
    expect(fromFile.message).toContain('(opened at line 5, column 3)');
    expect(fromFile.message).toBe(
      (() => {
        try {
          parseJUnit(cut, { source: path });
        } catch (e) {
          return (e as Error).message;
        }
      })(),
    );
  });

  it('a file refused in its first chunk, in its middle, or read whole leaves no descriptor open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-stream-'));
    const early = join(dir, 'early.xml');
    const late = join(dir, 'late.xml');
    const good = join(dir, 'good.xml');
    const cases = '<testcase name="t"/>'.repeat(20_000); // ~400 KB: several chunks
    writeFileSync(early, `<!DOCTYPE x><testsuite>${cases}</testsuite>`);
    writeFileSync(late, `<testsuite>${cases}<!DOCTYPE x></testsuite>`);
    writeFileSync(good, `<testsuite>${cases}</testsuite>`);
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) {
      expect(await outcome(() => readJUnitFile(early))).toEqual({ code: 'forbidden-dtd' });
      expect(await outcome(() => readJUnitFile(late))).toEqual({ code: 'forbidden-dtd' });
      expect((await readJUnitFile(good)).results).toHaveLength(1);
    }
    expect(open()).toBe(before);
  });

  it('a non-JUnit root is refused only after the whole document was checked', async () => {
    expect(await outcome(() => streamed('<html><body><br></body></html>', 4))).toEqual({ code: 'malformed' });
    expect(await outcome(() => streamed('<html><body></body></html>', 4))).toEqual({ code: 'not-junit' });
  });
});

function fileURLPath(file: string): string {
  return new URL(file, FIXTURES).pathname;
}
