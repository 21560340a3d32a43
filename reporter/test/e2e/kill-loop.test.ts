import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { junitXml, manyCases } from '../helpers/junit.js';
import { sleep } from '../helpers/raw.js';
import { buildReporter, startReporter, tempDir } from '../helpers/server.js';

// SIGKILL loop: three clients upload continuously, the reporter is killed at a random moment,
// restarted on the same file, again and again. Every upload answered 2xx must be there afterwards,
// whole (its exact counts, never a part), and SQLite's integrity check must pass.
// DOZHIM_KILL_LOOPS scales it (default 20 in `npm test`; 60 for the long variant).
const LOOPS = Number(process.env.DOZHIM_KILL_LOOPS ?? 20);
const CLIENTS = 3;
const TESTS = 60;

const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

/** Upload `seq` of a client: TESTS tests of which `seq % 7` fail, so every shard's counts are known. */
const failing = (seq: number) => seq % 7;
const body = (seq: number) => junitXml(manyCases(TESTS, (i) => i < failing(seq)));

describe('SIGKILL loop', () => {
  it(
    `${LOOPS} kills under concurrent uploads lose no acknowledged upload and leave the database intact`,
    async () => {
      const db = `${tmp.dir}/kill-loop.sqlite`;
      const acknowledged: { run: string; shard: string; seq: number }[] = [];
      let attempted = 0;
      const perLoop: number[] = [];
      for (let loop = 0; loop < LOOPS; loop++) {
        const server = await startReporter(db);
        const run = `kill-${loop}`;
        let alive = true;
        const client = async (c: number) => {
          for (let seq = 0; alive && seq < 1000; seq++) {
            const shard = `c${c}-${seq}`;
            attempted++;
            try {
              const res = await fetch(`${server.url}/api/v1/runs/${run}/attempts/1/junit?shard=${shard}`, {
                method: 'POST',
                headers: { 'content-type': 'application/xml' },
                body: body(seq),
              });
              await res.arrayBuffer();
              if (res.status === 200) acknowledged.push({ run, shard, seq });
              else if (res.status !== 503) throw new Error(`unexpected ${res.status}`);
            } catch (e) {
              if ((e as Error).message.startsWith('unexpected')) throw e;
              return; // connection refused/reset: the server is gone
            }
          }
        };
        const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
        // Kill only once this server acknowledged something (bounded wait), then at a random moment
        // while the three clients keep uploading.
        const before = acknowledged.length;
        for (let i = 0; i < 600 && acknowledged.length === before; i++) await sleep(50);
        await sleep(Math.floor(Math.random() * 300));
        expect(await server.stop('SIGKILL')).toBe('SIGKILL');
        alive = false;
        await Promise.all(clients);
        perLoop.push(acknowledged.length - before);
      }
      // Every kill came after at least one acknowledged upload of that server (else it proved nothing).
      expect(
        perLoop.filter((n) => n === 0),
        `acknowledged per loop: ${perLoop.join(',')}`,
      ).toEqual([]);

      const last = await startReporter(db);
      try {
        const byRun = new Map<string, Map<string, { total: number; failed: number }>>();
        for (const run of new Set(acknowledged.map((a) => a.run))) {
          const res = await fetch(`${last.url}/api/v1/runs/${run}`);
          expect(res.status).toBe(200);
          const state = (await res.json()) as {
            attempts: { shards: { name: string; counts: { total: number; failed: number } }[] }[];
          };
          byRun.set(run, new Map(state.attempts[0]!.shards.map((s) => [s.name, s.counts])));
        }
        const lost = acknowledged.filter((a) => !byRun.get(a.run)?.has(a.shard));
        expect(lost, 'acknowledged uploads missing after SIGKILL').toEqual([]);
        for (const a of acknowledged) {
          expect(byRun.get(a.run)!.get(a.shard), `${a.run} ${a.shard}`).toMatchObject({
            total: TESTS,
            failed: failing(a.seq),
          });
        }
        // Unacknowledged uploads may or may not be there, but never in part.
        for (const shards of byRun.values()) for (const c of shards.values()) expect(c.total).toBe(TESTS);
      } finally {
        await last.stop();
      }
      const check = new Database(db, { readonly: true });
      try {
        expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        check.close();
      }
      console.log(
        `kill loop: ${LOOPS} kills, ${attempted} uploads sent, ${acknowledged.length} acknowledged, 0 lost`,
      );
    },
    Math.max(120_000, LOOPS * 6000),
  );
});
