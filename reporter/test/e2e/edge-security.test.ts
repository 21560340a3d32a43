import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, startReporter, tempDir } from '../helpers/server.js';

const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

/** fetch() will not send a forged Host header; node:http will. */
function withHost(base: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security headers, allowed hosts, redacted logs', () => {
  it('every answer carries nosniff, a deny-all CSP, no-store and no framing', async () => {
    const server = await startReporter(`${tmp.dir}/h.sqlite`);
    try {
      for (const path of ['/healthz', '/failedTests/nope', '/api/v1/openapi.json']) {
        const r = await call(`${server.url}${path}`);
        expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
        expect(r.headers.get('content-security-policy'), path).toContain("default-src 'none'");
        expect(r.headers.get('cache-control'), path).toBe('no-store');
        expect(r.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
        expect(r.headers.get('x-powered-by'), path).toBeNull();
      }
    } finally {
      await server.stop();
    }
  });

  it('bound to loopback, only loopback Host names are answered (DNS rebinding gets 421)', async () => {
    const server = await startReporter(`${tmp.dir}/hosts.sqlite`);
    try {
      const { port } = new URL(server.url);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
        expect((await withHost(server.url, '/healthz', host)).status, host).toBe(200);
      }
      for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`]) {
        const r = await withHost(server.url, '/failedTests/x', host);
        expect(r.status, host).toBe(421);
        expect(JSON.parse(r.body).error.code).toBe('host_not_allowed');
      }
    } finally {
      await server.stop();
    }
  });

  it('DOZHIM_ALLOWED_HOSTS names the accepted hosts; `*` accepts any', async () => {
    const named = await startReporter(`${tmp.dir}/named.sqlite`, {
      DOZHIM_ALLOWED_HOSTS: 'reporter.ci, 127.0.0.1',
    });
    try {
      expect((await withHost(named.url, '/healthz', 'reporter.ci:80')).status).toBe(200);
      expect((await withHost(named.url, '/healthz', 'localhost')).status).toBe(421);
    } finally {
      await named.stop();
    }
    const any = await startReporter(`${tmp.dir}/any.sqlite`, { DOZHIM_ALLOWED_HOSTS: '*' });
    try {
      expect((await withHost(any.url, '/healthz', 'whatever.example')).status).toBe(200);
    } finally {
      await any.stop();
    }
  });

  it('a token in a query string never reaches the logs', async () => {
    const server = await startReporter(`${tmp.dir}/redact.sqlite`, { DOZHIM_LOG_LEVEL: 'debug' });
    try {
      const secret = 'S3cr3t-token-value';
      await call(`${server.url}/failedTests/x?token=${secret}&a=1`);
      await call(`${junitUrl(server.url, 'r', 1)}?token=${secret}`, xml(junitXml(manyCases(2))));
      await call(`${server.url}/failedTests/x?access_token=${secret}`);
      await new Promise((r) => setTimeout(r, 200));
      const out = server.output();
      expect(out).toContain('token=[redacted]');
      expect(out).not.toContain(secret);
    } finally {
      await server.stop();
    }
  });
});
