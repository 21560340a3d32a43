import { writeFileSync } from 'node:fs';
import { JUnitParseError } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerParser } from '../../src/parse/worker-parser.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, tempDir } from '../helpers/server.js';

// The worker runs the BUILT entry (dist), like the bin does.
const ENTRY = new URL('../../dist/parse/worker-main.js', import.meta.url);
const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

const req = (xml: string) => ({ body: Buffer.from(xml), source: 'upload.xml', maxBytes: 1024 * 1024 });

describe('WorkerParser', () => {
  it('parses in a worker thread and returns one result per test id', async () => {
    const parser = new WorkerParser(ENTRY);
    try {
      const results = await parser.parse(req(junitXml(manyCases(300, (i) => i % 3 === 0))));
      expect(results).toHaveLength(300);
      expect(results.filter((r) => r.status === 'failed')).toHaveLength(100);
    } finally {
      await parser.close();
    }
  });

  it('rebuilds JUnitParseError (code, position) on this side of the thread boundary', async () => {
    const parser = new WorkerParser(ENTRY);
    try {
      const error = await parser
        .parse(req('<testsuite>\n<testcase name="a">\n</testsuite>'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JUnitParseError);
      expect(error).toMatchObject({ code: 'malformed', source: 'upload.xml', line: expect.any(Number) });
    } finally {
      await parser.close();
    }
  });

  it('a dying worker fails the pending parse, and the next parse starts a fresh worker', async () => {
    const dying = `${tmp.dir}/dying.mjs`;
    writeFileSync(
      dying,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n",
    );
    const parser = new WorkerParser(new URL(`file://${dying}`));
    try {
      await expect(parser.parse(req('<testsuite/>'))).rejects.toThrow(/exited with code 3/);
      await expect(parser.parse(req('<testsuite/>'))).rejects.toThrow(/exited with code 3/);
    } finally {
      await parser.close();
    }
  });
});
