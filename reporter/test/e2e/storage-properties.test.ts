import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// Issue 12: a realistic Surefire report (60 suite properties incl. the classpath, 2,000 tests) was
// stored at 241x its size, because the reader copies suite properties into every testcase.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function surefireReport(tests: number): string {
  const jars = Array.from(
    { length: 120 },
    (_, i) => `/home/ci/.m2/repository/org/example/lib${i}/1.${i}.0/lib${i}-1.${i}.0.jar`,
  );
  const props: [string, string][] = [
    ['java.class.path', jars.join(':')],
    ['surefire.test.class.path', jars.join(':')],
    ['java.version', '21.0.3'],
    ['os.name', 'Linux'],
    ['user.dir', '/home/ci/build/project'],
  ];
  for (let i = props.length; i < 60; i++) props.push([`build.property.${i}`, `value-${i}-of-the-build`]);
  const properties = props.map(([n, v]) => `    <property name="${n}" value="${esc(v)}"/>`).join('\n');
  const cases = Array.from({ length: tests }, (_, i) => {
    const open = `  <testcase name="shouldHandleCase${i}" classname="com.example.orders.OrderServiceTest" time="0.004"`;
    return i % 100 === 7
      ? `${open}>\n    <failure message="expected 2 but was 3" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected 2 but was 3\n\tat com.example.orders.OrderServiceTest.shouldHandleCase${i}(OrderServiceTest.java:${i})</failure>\n  </testcase>`
      : `${open}/>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="com.example.orders.OrderServiceTest" tests="${tests}" failures="${Math.ceil(tests / 100)}" errors="0" skipped="0" time="8.1">\n  <properties>\n${properties}\n  </properties>\n${cases}\n</testsuite>\n`;
}

let tmp: ReturnType<typeof tempDir>;
let reporter: Reporter;
let dbPath: string;
beforeAll(async () => {
  buildReporter();
  tmp = tempDir();
  dbPath = `${tmp.dir}/props.sqlite`;
  reporter = await startReporter(dbPath);
});
afterAll(async () => {
  await reporter?.stop();
  tmp?.cleanup();
});

/** Bytes of the database in use (pages minus free pages), after folding the WAL into it. */
function usedBytes(): number {
  const db = new Database(dbPath);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
  } finally {
    db.close();
  }
}

describe('suite properties are stored once', () => {
  // Target of issue 12: within 2x (was 241x, then 3.1x with property sets). Properties are stored
  // once per distinct set, the test identity once per run (`tests`, only the id in the common case),
  // results and their indexes hold integers (reporter/README.md "Storage"). Measured 1.87x.
  it('a Surefire report (60 properties incl. classpath, 2,000 tests) stores within 2x its size, properties intact', async () => {
    const report = surefireReport(2000);
    const size = Buffer.byteLength(report);
    // The schema alone, then the same report under two shards' worth of uploads.
    await call(`${reporter.url}/api/v1/runs/warm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const before = usedBytes();
    const up = await call(junitUrl(reporter.url, 'sure', 1), xml(report));
    expect(up.status).toBe(200);
    expect(up.body.counts).toEqual({ total: 2000, passed: 1980, failed: 20, error: 0, skipped: 0 });
    const stored = usedBytes() - before;
    console.log(`surefire report ${size} bytes -> ${stored} bytes stored (${(stored / size).toFixed(2)}x)`);
    expect(stored).toBeLessThanOrEqual(2 * size);
    // Reads give every testcase the suite's properties back, in the merged report too.
    const merged = await call(`${runPath(reporter.url, 'sure')}/report.xml`);
    expect(merged.status).toBe(200);
    const cases = merged.text.split('<testcase ').slice(1);
    expect(cases).toHaveLength(2000);
    for (const c of [cases[0]!, cases[1234]!, cases[1999]!]) {
      expect(c).toContain(
        '<property name="java.class.path" value="/home/ci/.m2/repository/org/example/lib0/',
      );
      expect(c.match(/<property /g)).toHaveLength(60);
    }
    // The failures are all still failing (a re-upload replaces the shard; the set is reused).
    const again = await call(junitUrl(reporter.url, 'sure', 1), xml(report));
    expect(again.status).toBe(200);
    expect(usedBytes() - before).toBeLessThanOrEqual(2 * size);
    const failing = await call(`${reporter.url}/failedTests/sure`);
    expect(failing.body.data).toHaveLength(20);
  });
});
