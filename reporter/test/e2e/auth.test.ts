import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

const WRITE = 'write-token-0123456789';
const READ = 'read-token-0123456789';
const body = junitXml([{ classname: 'A', name: 'x', status: 'failed' }]);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('write token only (DOZHIM_TOKEN)', () => {
  let server: Reporter;
  const tmp = tempDir();
  beforeAll(async () => {
    buildReporter();
    server = await startReporter(`${tmp.dir}/r.sqlite`, { DOZHIM_TOKEN: WRITE });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('writes without a token → 401 with WWW-Authenticate; nothing stored', async () => {
    const r = await call(junitUrl(server.url, 'auth-run', 1), xml(body));
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(runPath(server.url, 'auth-run'))).status).toBe(404);
  });

  it('writes with a wrong token → 403, for every write route', async () => {
    const wrong = bearer('not-the-token');
    const attempts = [
      call(junitUrl(server.url, 'auth-run', 1), xml(body, wrong)),
      call(runPath(server.url, 'auth-run'), json('PUT', {}, wrong)),
      call(`${runPath(server.url, 'auth-run')}/attempts/1`, json('PATCH', { threads: 1 }, wrong)),
      call(
        `${runPath(server.url, 'auth-run')}/attempts/1/results`,
        json('POST', { results: [{ name: 'a', status: 'passed' }] }, wrong),
      ),
      call(junitUrl(server.url, 'auth-run', 1), xml(body, { authorization: `Bearer ${WRITE}x` })),
      call(junitUrl(server.url, 'auth-run', 1), xml(body, { authorization: `Basic ${WRITE}` })),
    ];
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 401]);
    expect((await call(runPath(server.url, 'auth-run'))).status).toBe(404);
  });

  it('the right token writes; reads stay open', async () => {
    expect((await call(junitUrl(server.url, 'auth-run', 1), xml(body, bearer(WRITE)))).status).toBe(200);
    expect((await call(`${server.url}/failedTests/auth-run`)).body).toEqual({ data: ['A::x'] });
    expect((await call(runPath(server.url, 'auth-run'))).status).toBe(200);
  });
});

describe('read token too (DOZHIM_READ_TOKEN)', () => {
  let server: Reporter;
  const tmp = tempDir();
  beforeAll(async () => {
    buildReporter();
    server = await startReporter(`${tmp.dir}/r.sqlite`, { DOZHIM_TOKEN: WRITE, DOZHIM_READ_TOKEN: READ });
    await call(junitUrl(server.url, 'read-run', 1), xml(body, bearer(WRITE)));
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('reads need the read or the write token: 401 missing, 403 wrong', async () => {
    const url = `${server.url}/failedTests/read-run`;
    expect((await call(url)).status).toBe(401);
    expect((await call(url, { headers: bearer('nope-nope-nope') })).status).toBe(403);
    expect((await call(url, { headers: bearer(READ) })).body).toEqual({ data: ['A::x'] });
    expect((await call(url, { headers: bearer(WRITE) })).status).toBe(200);
    expect((await call(`${server.url}/metrics`)).status).toBe(401);
  });

  it('the read token cannot write', async () => {
    expect((await call(junitUrl(server.url, 'read-run', 1), xml(body, bearer(READ)))).status).toBe(403);
  });

  it('health and the OpenAPI document stay open', async () => {
    expect((await call(`${server.url}/healthz`)).status).toBe(200);
    expect((await call(`${server.url}/api/v1/openapi.json`)).status).toBe(200);
  });
});
