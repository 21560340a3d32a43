// XML-invalid characters (C0 controls, U+FFFE/U+FFFF, a lone ESC) in bytes input: parseJUnit(bytes)
// and readJUnitFile read such a report once without the invalid-character scan, see the parser
// refuse the first one, and read it again with the scan (xml-input.ts InputLimits.invalidChars). The
// result must be exactly what the always-scanned paths (a string, a generic stream) give: the same
// results, or the same refusal with the same line and column, wherever the character sits.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JUnitParseError, parseJUnit, readJUnitFile, readJUnitStream } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'dozhim-invalid-'));

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Results, or the refusal with its position, comparable across the four ways in. */
async function outcome(read: () => unknown): Promise<unknown> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof JUnitParseError)) throw e;
    return { code: e.code, line: e.line, column: e.column, message: e.message.replace(/^[^:]*: /, '') };
  }
}

const cases: [string, string][] = [
  [
    'NUL and BEL in output',
    '<testsuite><testcase name="t"><system-out>a\u0000b\u0007c</system-out></testcase></testsuite>',
  ],
  [
    'a control character in an attribute',
    '<testsuite><testcase name="t\u0001x" classname="C\u001f"/></testsuite>',
  ],
  [
    'U+FFFE and U+FFFF in CDATA',
    '<testsuite><testcase name="t"><failure><![CDATA[x\uFFFEy\uFFFF]]></failure></testcase></testsuite>',
  ],
  [
    'a lone ESC in a message',
    '<testsuite><testcase name="t"><failure message="a\u001bb"/></testcase></testsuite>',
  ],
  ['a control character in a comment', '<testsuite><!-- \u0002 --><testcase name="t"/></testsuite>'],
  ['a control character in a tag name', '<testsuite><test\u0003case name="t"/></testsuite>'],
  [
    'a control character, then a DOCTYPE',
    '<testsuite>\n<testcase name="\u0004"/>\n<!DOCTYPE x>\n</testsuite>',
  ],
  ['a control character, then the end of the file', '<testsuites>\n<testsuite><testcase name="\u0005"/>'],
  [
    'a control character, then a stray close tag',
    '<testsuite><testcase name="\u0006"/></testcase></testsuite>',
  ],
  ['a control character before the root', '\u0008<testsuite/>'],
  // An earlier error: what the error says is worked out on the scanned text (a \v that the blank
  // check took for whitespace made it read as a truncation).
  [
    'an earlier duplicate attribute, then \\v in a tag name',
    '<testsuite a="1" a="2">\n<test\u000bcase name="t">',
  ],
];

describe('XML-invalid characters: bytes read unscanned first give what the scanned read gives', () => {
  it.each(cases)('%s', async (label, xml) => {
    const bytes = Buffer.from(xml);
    const file = join(dir, `${label.replace(/\W+/g, '-')}.xml`);
    writeFileSync(file, bytes);
    const scanned = await outcome(() => parseJUnit(xml, { source: 'x' }));
    expect(await outcome(() => parseJUnit(bytes, { source: 'x' }))).toEqual(scanned);
    expect(await outcome(() => readJUnitFile(file, { source: 'x' }))).toEqual(scanned);
    // A generic stream is always scanned; it cannot be read again to say where a truncated file
    // was opened, so only its verdict is compared (junit-stream.test.ts covers its messages).
    const streamed = await outcome(() => readJUnitStream(chunked(bytes, 7), { source: 'x' }));
    const verdict = (o: unknown) =>
      (o as { code?: string }).code ? { code: (o as { code: string }).code } : o;
    expect(verdict(streamed)).toEqual(verdict(scanned));
  });

  it('the characters never reach a result: each becomes U+FFFD, as on the scanned path', () => {
    const [r] = parseJUnit(Buffer.from(cases[0]![1])).results;
    expect(r!.stdout).toBe('a\uFFFDb\uFFFDc');
  });

  it('a file full of NULs costs one more read, not one per character', async () => {
    const file = join(dir, 'nuls.xml');
    const nuls = '\u0000'.repeat(8 * 1024 * 1024);
    writeFileSync(file, `<testsuite><testcase name="t"><failure>${nuls}</failure></testcase></testsuite>`);
    const started = Date.now();
    const [r] = (await readJUnitFile(file)).results;
    expect(r!.status).toBe('failed');
    expect(r!.details!.startsWith('\uFFFD\uFFFD')).toBe(true);
    // Well over 10x what it takes (~0.3 s): an Error per character would take minutes.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
