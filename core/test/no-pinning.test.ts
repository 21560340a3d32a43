// The results never keep the input alive: every string a result holds is a copy, not a slice of
// the parser's 64 KB input chunk (V8 keeps a whole chunk alive for one kept slice of 13 or more
// characters), and nothing of the reader holds the document after the read. A report whose
// testcases carry a large unread attribute makes a pinned chunk show as megabytes of heap.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseJUnit, readJUnitFile } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / (1024 * 1024);
};

const junk = 'j'.repeat(2000);
/** ~20 MB: 10 000 testcases, each with a long name and 2000 characters nobody reads. */
const report = (testcase: (i: number) => string) =>
  `<testsuites>${Array.from({ length: 10_000 }, (_, i) => testcase(i)).join('')}</testsuites>`;
const shapes: [string, string][] = [
  [
    'no suite name, no classname (no id prefix)',
    report((i) => `<testsuite><testcase name="test number ${i} does a thing" junk="${junk}"/></testsuite>`),
  ],
  [
    'a classname',
    report(
      (i) =>
        `<testsuite name="S"><testcase classname="pkg.Class${i % 7}" name="test number ${i} does a thing" junk="${junk}"/></testsuite>`,
    ),
  ],
  [
    'a failure with message and type',
    report(
      (i) =>
        `<testsuite name="S"><testcase classname="C" name="t${i}" junk="${junk}"><failure message="expected ${i} to be a long message" type="org.example.LongAssertionError${i % 3}">trace ${i} of some length</failure></testcase></testsuite>`,
    ),
  ],
  [
    'properties and output',
    report(
      (i) =>
        `<testsuite name="S${i % 5}"><properties><property name="property.name.${i % 3}" value="a property value ${i}"/></properties><testcase classname="C" name="t${i}" junk="${junk}"><system-out>output of test ${i}, long enough</system-out></testcase></testsuite>`,
    ),
  ],
];
const dir = mkdtempSync(join(tmpdir(), 'dozhim-pinning-'));

describe('results hold copies, never the input', () => {
  it.each(shapes)('%s: the kept results weigh a fraction of the file', async (label, xml) => {
    const fileMb = Buffer.byteLength(xml) / (1024 * 1024);
    expect(fileMb).toBeGreaterThan(19);
    const file = join(dir, `${label.replace(/\W+/g, '-')}.xml`);
    writeFileSync(file, xml);
    const bytes = Buffer.from(xml);
    for (const read of [() => readJUnitFile(file), async () => parseJUnit(bytes)]) {
      const before = heapMb();
      const kept = (await read()).results;
      const grew = heapMb() - before;
      expect(kept).toHaveLength(10_000);
      // A pinned chunk per result run would be the whole file (~20 MB); the results are ~2-4 MB.
      expect(grew, `${label}: ${grew.toFixed(1)} MB kept for a ${fileMb.toFixed(0)} MB file`).toBeLessThan(
        fileMb / 3,
      );
    }
  });

  it('after the read nothing of the reader keeps the document', () => {
    const bytes = Buffer.from(shapes[1]![1]);
    const before = heapMb();
    expect(parseJUnit(bytes).results).toHaveLength(10_000);
    expect(heapMb() - before).toBeLessThan(2);
  });
});
