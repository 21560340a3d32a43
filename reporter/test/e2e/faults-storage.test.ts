import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, runBin, startReporter, tempDir } from '../helpers/server.js';

// Faults under a running reporter: the database file removed or replaced, a full disk (a 4 MB
// tmpfs, mounted here as root and unmounted in afterAll), a read-only one at start.
const tmp = tempDir();
const small = tempDir('dozhim-tmpfs-');
let mounted = false;

function mount(dir: string, opts: string) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(
      `these tests mount a small tmpfs to fill a disk and need root and mount(8): ${(e as { stderr?: Buffer }).stderr ?? e}`,
    );
  }
}

beforeAll(() => {
  buildReporter();
  mount(small.dir, 'size=4m');
  mounted = true;
});
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', small.dir]);
  small.cleanup();
  tmp.cleanup();
});

const upload = (url: string, run: string, shard: string, n = 20) =>
  call(junitUrl(url, run, 1, shard), xml(junitXml(manyCases(n, (i) => i % 5 === 0))));

/** Fills the file system holding `dir` with one file until ENOSPC (bounded by the fs size). */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 10_000; i++) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    // The last partial block too.
    try {
      for (let i = 0; i < 64; i++) writeSync(fd, Buffer.alloc(1024, 1));
    } catch {}
  } finally {
    closeSync(fd);
  }
}

describe('honest health under storage faults', () => {
  it('deleting the database file turns /healthz 503 on the next probe and uploads 503 storage_gone', async () => {
    const db = `${tmp.dir}/deleted.sqlite`;
    const server = await startReporter(db);
    try {
      expect((await upload(server.url, 'del', 'a')).status).toBe(200);
      expect((await call(`${server.url}/healthz`)).status).toBe(200);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const health = await call(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(health.body.error).toMatchObject({ code: 'db_unavailable', details: { problem: 'removed' } });
      expect(health.headers.get('retry-after')).toBeTruthy();
      const up = await upload(server.url, 'del', 'b');
      expect(up.status).toBe(503);
      expect(up.body.error.code).toBe('storage_gone');
      expect(up.headers.get('retry-after')).toBeTruthy();
      const put = await call(`${server.url}/api/v1/runs/other`, { method: 'PUT' });
      expect(put.status).toBe(503);
    } finally {
      await server.stop();
    }
  });

  it('a database file replaced under the server (same path, another inode) is reported too', async () => {
    const db = `${tmp.dir}/replaced.sqlite`;
    const server = await startReporter(db);
    try {
      expect((await upload(server.url, 'rep', 'a')).status).toBe(200);
      copyFileSync(db, `${db}.copy`);
      renameSync(`${db}.copy`, db);
      const health = await call(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(health.body.error.details).toEqual({ problem: 'replaced' });
      expect((await upload(server.url, 'rep', 'b')).body.error.code).toBe('storage_gone');
    } finally {
      await server.stop();
    }
  });

  it('a full disk answers uploads 503 storage_full with Retry-After, /healthz 503, and both recover once space is freed', async () => {
    const dir = `${small.dir}/full`;
    mkdirSync(dir, { recursive: true });
    const server = await startReporter(`${dir}/r.sqlite`);
    const filler = `${small.dir}/filler`;
    try {
      expect((await upload(server.url, 'full', 'a')).status).toBe(200);
      fill(filler);
      const up = await upload(server.url, 'full', 'b', 3000);
      expect(up.status, up.text).toBe(503);
      expect(up.body.error.code).toBe('storage_full');
      expect(Number(up.headers.get('retry-after'))).toBeGreaterThan(0);
      const health = await call(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(health.body.error.details).toEqual({ problem: 'full' });
      // Reads still work, and show nothing of the refused upload.
      const run = await call(`${server.url}/api/v1/runs/full`);
      expect(run.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['a']);

      unlinkSync(filler);
      expect((await call(`${server.url}/healthz`)).status).toBe(200);
      expect((await upload(server.url, 'full', 'b', 3000)).status).toBe(200);
      expect((await call(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      rmSync(filler, { force: true });
      await server.stop();
    }
  });

  it('starting on a full disk fails with one clear line, no stack trace', async () => {
    const dir = `${small.dir}/start-full`;
    mkdirSync(dir, { recursive: true });
    const filler = `${small.dir}/filler2`;
    fill(filler);
    try {
      const { code, out } = await runBin(['--port', '0', '--db', `${dir}/new.sqlite`]);
      expect(code).toBe(1);
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).toMatch(/^dozhim-reporter: cannot use database .*new\.sqlite: the disk is full/);
      expect(out).not.toMatch(/\n\s+at /);
    } finally {
      unlinkSync(filler);
    }
  });

  it('starting on a read-only file system fails with one clear line', async () => {
    const ro = tempDir('dozhim-ro-');
    mount(ro.dir, 'size=1m');
    try {
      // A database made while writable, then the file system remounted read-only.
      const made = await startReporter(`${ro.dir}/r.sqlite`);
      expect((await upload(made.url, 'ro', 'a')).status).toBe(200);
      await made.stop();
      execFileSync('mount', ['-o', 'remount,ro', ro.dir]);
      const { code, out } = await runBin(['--port', '0', '--db', `${ro.dir}/r.sqlite`]);
      expect(code).toBe(1);
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).toMatch(/^dozhim-reporter: cannot use database .*r\.sqlite: /);
      expect(out).toMatch(/read-only|readonly|unable to open/);
    } finally {
      execFileSync('umount', ['-l', ro.dir]);
      ro.cleanup();
    }
  });
});
