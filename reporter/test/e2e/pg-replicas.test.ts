import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../src/db/records.js';
import { PgStorage } from '../../src/storage/pg-storage.js';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { buildReporter, type Reporter, startReporter } from '../helpers/server.js';

// Two real reporter processes on one real PostgreSQL: the guarantees of one reporter hold across
// replicas (uploads counted once, re-uploads replace, a killed replica loses no acknowledged upload).

let cluster: PgCluster;
let db: string;
let a: Reporter;
let b: Reporter;
beforeAll(async () => {
  buildReporter();
  cluster = await startPostgres();
  db = await cluster.createDatabase();
  // Both start at once on an empty database: the migration runs once (advisory lock).
  [a, b] = await Promise.all([startReporter(db), startReporter(db)]);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  cluster?.stop();
});

const replicas = () => [a.url, b.url];

describe('two replicas on one PostgreSQL', () => {
  it('20 concurrent shard uploads of one new run, alternating replicas: one run, every result counted once', async () => {
    const id = 'replica-fanout';
    const shards = Array.from({ length: 20 }, (_, s) =>
      junitXml(manyCases(50, (i) => (i + s) % 7 === 0, `s${s}`)),
    );
    const answers = await Promise.all(
      shards.map((body, s) => call(junitUrl(replicas()[s % 2]!, id, 1, `${s + 1}/20`), xml(body))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const expectedFailing = shards
      .flatMap((_, s) =>
        manyCases(50, (i) => (i + s) % 7 === 0, `s${s}`)
          .filter((c) => c.status === 'failed')
          .map((c) => `${c.classname}::${c.name}`),
      )
      .sort();
    for (const url of replicas()) {
      const run = await call(runPath(url, id));
      expect(run.status).toBe(200);
      expect(run.body.attempts).toHaveLength(1);
      expect(run.body.attempts[0].counts.total).toBe(1000);
      expect(run.body.attempts[0].shards).toHaveLength(20);
      expect(run.body.current.totals.total).toBe(1000);
      expect(run.body.current.failing).toEqual(expectedFailing);
      expect((await call(`${url}/failedTests/${id}`)).body.data).toEqual(expectedFailing);
      // Polled twice: the second may come from a kept answer on SQLite, never on PostgreSQL.
      expect((await call(`${url}/failedTests/${id}`)).body.data).toEqual(expectedFailing);
    }
    // A write on one replica is seen by the next /failedTests poll of the other (no answer kept
    // past another replica's commit).
    const more = junitXml([{ classname: 'late.L', name: 'new_failure', status: 'failed' }]);
    expect((await call(junitUrl(b.url, id, 1, 'late'), xml(more))).status).toBe(200);
    expect((await call(`${a.url}/failedTests/${id}`)).body.data).toEqual(
      [...expectedFailing, 'late.L::new_failure'].sort(),
    );
    // Exactly one run row was made by the racing creators.
    const list = await call(`${a.url}/api/v1/runs?limit=100`);
    expect(list.body.data.filter((r: { id: string }) => r.id === id)).toHaveLength(1);
  });

  it('re-uploads of one shard racing on both replicas: the shard ends as exactly one whole version', async () => {
    const id = 'replica-reupload';
    // Ten versions of the same shard, each with its own size and failing set: a mix of two
    // versions, or a version counted twice, shows in the totals and the failing ids.
    const versions = Array.from({ length: 10 }, (_, v) =>
      manyCases(40 + v * 5, (i) => i % (v + 2) === 0, 'same'),
    );
    const answers = await Promise.all(
      versions.flatMap((cases, v) => [
        call(junitUrl(a.url, id, 1, 'only'), xml(junitXml(cases))),
        call(junitUrl(b.url, id, 1, 'only'), xml(junitXml(cases))),
        // A second shard written meanwhile must not be disturbed.
        call(junitUrl(replicas()[v % 2]!, id, 1, 'other'), xml(junitXml(manyCases(10, () => false, 'o')))),
      ]),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200));
    const run = await call(runPath(a.url, id));
    const only = run.body.attempts[0].shards.find((s: { name: string }) => s.name === 'only');
    const winner = versions.find((cases) => cases.length === only.counts.total);
    expect(winner, `shard total ${only.counts.total} is no version's size`).toBeDefined();
    const failing = winner!.filter((c) => c.status === 'failed').map((c) => `${c.classname}::${c.name}`);
    expect(run.body.current.failing).toEqual(failing.sort());
    expect(run.body.attempts[0].counts.total).toBe(winner!.length + 10);
    expect(only.counts.failed).toBe(failing.length);
    // Every id once on the tests pages too.
    const tests = await call(`${runPath(b.url, id)}/tests?attempt=1&status=all&limit=1000`);
    const ids = tests.body.data.map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(winner!.length + 10);
  });

  it('a SIGKILL of one replica mid-upload loses no acknowledged upload; the other keeps serving', async () => {
    const id = 'replica-kill';
    const victim = await startReporter(db);
    const acknowledged = new Set<string>();
    const sent: Promise<void>[] = [];
    let stop = false;
    // Bounded: at most 200 uploads, 4 at a time, until the kill.
    const loop = async (worker: number) => {
      for (let n = 0; n < 50 && !stop; n++) {
        const shard = `w${worker}-${n}`;
        const r = await call(
          junitUrl(victim.url, id, 1, shard),
          xml(junitXml(manyCases(200, (i) => i % 9 === 0, shard))),
        ).catch(() => undefined);
        if (r?.status === 200) acknowledged.add(shard);
      }
    };
    for (let w = 0; w < 4; w++) sent.push(loop(w));
    // Kill once some uploads are acknowledged and others are in flight.
    for (let i = 0; i < 200 && acknowledged.size < 8; i++) await new Promise((r) => setTimeout(r, 50));
    expect(acknowledged.size).toBeGreaterThanOrEqual(8);
    expect(await victim.stop('SIGKILL')).toBe('SIGKILL');
    stop = true;
    await Promise.all(sent);
    const ackedAtKill = new Set(acknowledged);

    // The survivor answers, and has every acknowledged shard, whole; any other shard is whole or absent.
    expect((await call(`${b.url}/healthz`)).status).toBe(200);
    const run = await call(runPath(b.url, id));
    expect(run.status).toBe(200);
    const stored = new Map<string, number>(
      run.body.attempts[0].shards.map((s: { name: string; counts: { total: number } }) => [
        s.name,
        s.counts.total,
      ]),
    );
    for (const shard of ackedAtKill) expect(stored.get(shard), shard).toBe(200);
    for (const [shard, total] of stored) expect(total, shard).toBe(200);
    const tests = await call(`${runPath(b.url, id)}/tests?attempt=1&status=all&limit=1000`);
    expect(tests.status).toBe(200);
    // And it still takes writes to the same run.
    const after = await call(junitUrl(b.url, id, 1, 'after-kill'), xml(junitXml(manyCases(5))));
    expect(after.status).toBe(200);
    expect((await call(runPath(a.url, id))).body.attempts[0].shards.length).toBe(stored.size + 1);
  });

  it('the write guards are checked under the run lock: a late shard waiting behind attempt 2 gets 409 attempt_closed', async () => {
    // Deterministic interleaving: connection M holds the run's lock as another replica's write in
    // progress would, the late shard of attempt 1 is sent meanwhile, M then starts attempt 2 and
    // commits. Checked before taking the lock, the guard would have seen attempt 1 as the last one
    // and stored the shard into a closed attempt; under the lock it sees attempt 2.
    const id = 'replica-guard';
    expect((await call(junitUrl(a.url, id, 1, '1/2'), xml(junitXml(manyCases(5))))).status).toBe(200);
    const store = await PgStorage.open(db);
    const m = new pg.Client({ connectionString: db });
    await m.connect();
    try {
      await m.query('BEGIN');
      const run = (await m.query('SELECT pk FROM runs WHERE run_id = $1 FOR UPDATE', [id])).rows[0];
      const late = store.writeResults({
        runId: id,
        attempt: 1,
        shard: '2/2',
        results: [
          {
            id: 'late::t',
            suite: '',
            classname: 'late',
            name: 't',
            status: 'failed',
            durationMs: 0,
            properties: {},
            retries: [],
          },
        ],
        now: new Date().toISOString(),
        replace: true,
      });
      const outcome = late.then(
        () => 'stored',
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      const t = new Date().toISOString();
      await m.query('INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES ($1, 2, $2, $2)', [
        run.pk,
        t,
      ]);
      await m.query('COMMIT');
      const e = await outcome;
      expect(e).toBeInstanceOf(WriteConflictError);
      expect((e as WriteConflictError).code).toBe('attempt_closed');
      const shards = (await call(runPath(b.url, id))).body.attempts[0].shards.map(
        (x: { name: string }) => x.name,
      );
      expect(shards).toEqual(['1/2']);
    } finally {
      await m.end();
      await store.close();
    }
  });
});
