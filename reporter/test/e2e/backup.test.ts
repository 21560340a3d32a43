import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, runBin, startReporter, tempDir } from '../helpers/server.js';

// `dozhim-reporter backup` (SQLite online backup API) of the real bin, while the real reporter
// serves and writes the same database file.
const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

/** Runs `dozhim-reporter backup ...` to completion (60 s at most). */
const backup = (args: string[], env: Record<string, string> = {}) =>
  runBin(['backup', ...args], { DOZHIM_DB: '', ...env }, 60_000);

const upload = (base: string, runId: string, attempt: number, n: number, tag: string) =>
  call(
    junitUrl(base, runId, attempt),
    xml(
      junitXml(
        manyCases(n, (i) => i % 25 === 0, tag).map((c) => ({
          ...c,
          message: `${c.name} ${'x'.repeat(200)}`,
        })),
      ),
    ),
  );

describe('dozhim-reporter backup', () => {
  it('copies a database that is being written: the copy is intact and answers like the original did', async () => {
    const live = `${tmp.dir}/live.sqlite`;
    const copy = `${tmp.dir}/copies/backup.sqlite`;
    const server = await startReporter(live);
    try {
      const base = server.url;
      const seeded = Array.from({ length: 8 }, (_, i) => `seed-${i}`);
      for (const id of seeded) {
        expect((await upload(base, id, 1, 4000, id)).status).toBe(200);
        expect((await upload(base, id, 2, 160, id)).status).toBe(200);
      }

      // Uploads in a loop (two writers, new run ids) before, during and after the backup.
      let writing = true;
      const acked: { id: string; at: number }[] = [];
      const failures: string[] = [];
      const writer = async (w: number) => {
        for (let i = 0; writing && i < 10_000; i++) {
          const id = `during-${w}-${i}`;
          const r = await upload(base, id, 1, 800, id);
          if (r.status === 200) acked.push({ id, at: performance.now() });
          else failures.push(`${id}: ${r.status} ${r.text}`);
        }
      };
      const writers = [writer(1), writer(2)];
      const until = Date.now() + 30_000;
      while (acked.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));

      // Everything acknowledged before the backup starts, and what the reporter answered for it.
      const startedAt = performance.now();
      const before = [...seeded, ...acked.map((a) => a.id)];
      const answers = new Map<string, string>();
      for (const id of before) {
        const run = await call(runPath(base, id));
        const failing = await call(`${base}/failedTests/${id}`);
        answers.set(id, JSON.stringify([run.body, failing.body]));
      }
      const backupStart = performance.now();
      mkdirSync(`${tmp.dir}/copies`);
      const out = await backup([copy, '--db', live]);
      const backupEnd = performance.now();
      // Keep writing a little longer, so the backup ran inside the write loop, not after it.
      const ackedBeforeEnd = acked.filter((a) => a.at <= backupEnd).length;
      while (acked.length <= ackedBeforeEnd + 1 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      writing = false;
      await Promise.all(writers);

      expect(out.code, out.out).toBe(0);
      expect(out.out).toMatch(
        /backup of .*live\.sqlite written to .*backup\.sqlite \(\d+ pages, [\d.]+ MiB, integrity ok\)/,
      );
      expect(failures).toEqual([]);
      const during = acked.filter((a) => a.at > backupStart && a.at <= backupEnd).length;
      console.log(
        `backup: ${(statSync(copy).size / 1024 / 1024).toFixed(1)} MiB in ${((backupEnd - backupStart) / 1000).toFixed(2)} s (bin start included); ${during} uploads acknowledged during it, ${acked.length} in the loop; ${out.out.trim()}`,
      );
      expect(acked.some((a) => a.at < startedAt)).toBe(true);
      expect(acked.some((a) => a.at > backupEnd)).toBe(true);
      // Nothing but the copy is left in the folder (no .partial file).
      expect(readdirSync(`${tmp.dir}/copies`)).toEqual(['backup.sqlite']);

      const c = new Database(copy, { readonly: true });
      try {
        expect(c.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(c.pragma('foreign_key_check')).toEqual([]);
        // Every upload in the copy is whole: a shard's stored counts match its rows.
        const torn = c
          .prepare(
            `SELECT s.pk FROM shards s WHERE s.passed + s.failed + s.error + s.skipped
               != (SELECT count(*) FROM results r WHERE r.shard_pk = s.pk)`,
          )
          .all();
        expect(torn).toEqual([]);
      } finally {
        c.close();
      }

      const restored = await startReporter(copy);
      try {
        for (const id of before) {
          const run = await call(runPath(restored.url, id));
          const failing = await call(`${restored.url}/failedTests/${id}`);
          expect(JSON.stringify([run.body, failing.body]), id).toBe(answers.get(id));
        }
        // Runs of the loop that made it into the copy are there whole (800 results, 32 failing).
        const listed = (await call(`${restored.url}/api/v1/runs?limit=500`)).body.data.map(
          (r: { id: string }) => r.id,
        );
        expect(listed.length).toBeLessThan(500); // one page holds them all
        for (const id of listed.filter((x: string) => x.startsWith('during-'))) {
          const run = (await call(runPath(restored.url, id))).body;
          expect(run.current.totals, id).toMatchObject({ total: 800, failed: 32 });
        }
        // And nothing in the copy that the original never acknowledged.
        const ackedIds = new Set([...seeded, ...acked.map((a) => a.id)]);
        expect(listed.filter((x: string) => !ackedIds.has(x))).toEqual([]);
      } finally {
        expect(await restored.stop()).toBe(0);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('never overwrites a file, refuses PostgreSQL (pg_dump) and bad usage with 2, a missing database with 1', async () => {
    const db = `${tmp.dir}/small.sqlite`;
    const server = await startReporter(db);
    expect((await upload(server.url, 'small', 1, 10, 'small')).status).toBe(200);
    expect(await server.stop()).toBe(0);

    const existing = `${tmp.dir}/existing.sqlite`;
    writeFileSync(existing, 'precious');
    const over = await backup([existing, '--db', db]);
    expect(over.code).toBe(2);
    expect(over.out).toMatch(
      /^dozhim-reporter: backup: .*existing\.sqlite exists; a backup never overwrites/m,
    );
    expect(readFileSync(existing, 'utf8')).toBe('precious');

    const pg = await backup([`${tmp.dir}/pg.sqlite`], {
      DOZHIM_DB: 'postgres://dozhim:secret@127.0.0.1:5432/dozhim',
    });
    expect(pg.code).toBe(2);
    expect(pg.out).toMatch(/PostgreSQL; back it up with pg_dump/);
    expect(pg.out).not.toMatch(/secret/);
    expect(existsSync(`${tmp.dir}/pg.sqlite`)).toBe(false);

    const missing = await backup([`${tmp.dir}/m.sqlite`, '--db', `${tmp.dir}/nope.sqlite`]);
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toMatch(
      /^dozhim-reporter: backup: cannot read database .*nope\.sqlite: no such file$/,
    );
    expect(existsSync(`${tmp.dir}/nope.sqlite`)).toBe(false); // not created by the attempt

    const notDb = await backup([`${tmp.dir}/n.sqlite`, '--db', existing]);
    expect(notDb.code).toBe(1);
    expect(notDb.out.trim()).toMatch(/^dozhim-reporter: backup: cannot read database .*existing\.sqlite: /);
    expect(readFileSync(existing, 'utf8')).toBe('precious');
    expect(existsSync(`${tmp.dir}/n.sqlite`)).toBe(false);

    const noArg = await backup([]);
    expect(noArg.code).toBe(2);
    expect(noArg.out).toMatch(/usage: dozhim-reporter backup <file>/);

    const noDir = await backup([`${tmp.dir}/no/such/dir/b.sqlite`, '--db', db]);
    expect(noDir.code).toBe(1);
    expect(noDir.out.trim()).toMatch(/^dozhim-reporter: backup: cannot write .*b\.sqlite: /);

    // The variable names the database, as for the reporter itself; the copy is a working database.
    const viaEnv = await backup([`${tmp.dir}/env-copy.sqlite`], { DOZHIM_DB: db });
    expect(viaEnv.code, viaEnv.out).toBe(0);
    const restored = await startReporter(`${tmp.dir}/env-copy.sqlite`);
    try {
      expect((await call(`${restored.url}/failedTests/small`)).body.data).toHaveLength(1);
    } finally {
      expect(await restored.stop()).toBe(0);
    }
  });
});
