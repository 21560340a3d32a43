import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReporter, runBin, startReporter, tempDir } from '../helpers/server.js';

const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

describe('configuration', () => {
  it('creates the database folder and file', async () => {
    const db = `${tmp.dir}/nested/deeper/dozhim.sqlite`;
    const server = await startReporter(db);
    await server.stop();
    expect(existsSync(db)).toBe(true);
  });

  it('invalid values exit 2 with a message naming the setting', async () => {
    const port = await runBin(['--port', 'eighty', '--db', `${tmp.dir}/x.sqlite`]);
    expect(port.code).toBe(2);
    expect(port.out).toMatch(/port \(DOZHIM_PORT\)/);
    const env = await runBin(['--db', `${tmp.dir}/x.sqlite`], {
      DOZHIM_MAX_BODY: 'huge',
      DOZHIM_TOKEN: 'short',
    });
    expect(env.code).toBe(2);
    expect(env.out).toMatch(/maxBodyBytes \(DOZHIM_MAX_BODY\)/);
    expect(env.out).toMatch(/token \(DOZHIM_TOKEN\): tokens must be at least 8 characters/);
    const readOnly = await runBin(['--db', `${tmp.dir}/x.sqlite`], { DOZHIM_READ_TOKEN: 'read-secret-1' });
    expect(readOnly.code).toBe(2);
    expect(readOnly.out).toMatch(/DOZHIM_READ_TOKEN needs DOZHIM_TOKEN/);
    const flag = await runBin(['--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.out).toMatch(/unknown option/);
  });

  it('--help prints the options and exits 0', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--port <port>');
    expect(r.out).toContain('DOZHIM_DB');
  });

  it('flags win over environment variables', async () => {
    const server = await startReporter(
      `${tmp.dir}/flags.sqlite`,
      { DOZHIM_PORT: '1', DOZHIM_HOST: '0.0.0.0' },
      ['--host', '127.0.0.1'],
    );
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await server.stop()).toBe(0);
  });
});
