#!/usr/bin/env node
// Retention benchmark (`npm run bench -- retention`, or `node reporter/bench/retention.mjs [--quick]`
// after `npx tsc -b reporter`): how long one expireRuns() transaction holds the thread and the write
// lock, per batch size (without the results cap, then the job's own pass with it), for runs of the size the issue names (5 000 tests, 2 reruns of 250), in a
// database whose runs table holds a quarter year of small runs too (the scans of `runs` that a
// delete implies). The retention job's batch size (src/retention-job.ts) comes from these figures.
// Figures only: it never fails on a number.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expireRuns, MAX_RESULTS_PER_BATCH } from '../dist/db/retention.js';
import { openDatabase, Repository } from '../dist/index.js';
import { retentionPass, TARGET_BATCH_MS } from '../dist/retention-job.js';

const QUICK = process.argv.includes('--quick');
const BIG_RUNS = QUICK ? 22 : 40; // 3 batches each of 1, 2 and 4 runs (21), the rest for the job's pass
const SMALL_RUNS = QUICK ? 5_000 : 45_000;
const TESTS = 5_000;
const RERUN = 250;
const OLD = '2020-01-01T00:00:00.000Z';
const NEW = '2030-01-01T00:00:00.000Z';

const dir = mkdtempSync(join(tmpdir(), 'dozhim-retention-bench-'));
const db = openDatabase(join(dir, 'bench.sqlite'));
const repo = new Repository(db);
const result = (i, status) => ({
  id: `bench.C${i % 7}::test_${String(i).padStart(6, '0')}`,
  suite: 'bench',
  classname: `bench.C${i % 7}`,
  name: `test_${String(i).padStart(6, '0')}`,
  status,
  durationMs: 12,
  message: status === 'failed' ? 'AssertionError: expected 200 got 503' : undefined,
  details:
    status === 'failed' ? 'Traceback (most recent call last):\n  assert resp.status == 200' : undefined,
  properties: { 'java.version': '17', 'os.name': 'Linux' },
  retries: [],
});
const first = Array.from({ length: TESTS }, (_, i) => result(i, i % 20 === 0 ? 'failed' : 'passed'));
const rerun = Array.from({ length: RERUN }, (_, i) => result(i * 20, i % 2 ? 'passed' : 'failed'));

let t = performance.now();
db.transaction(() => {
  for (let r = 0; r < SMALL_RUNS; r++)
    repo.writeShard(
      { runId: `small-${r}`, attempt: 1, shard: 'default', now: NEW },
      [result(r, 'passed')],
      'replace',
    );
})();
for (let r = 0; r < BIG_RUNS; r++) {
  const id = `big-${r}`;
  // Every fourth run was retried as a whole (a history try of the same size).
  if (r % 4 === 0) {
    repo.writeShard({ runId: id, attempt: 1, shard: '1/2', now: OLD }, first.slice(0, TESTS / 2), 'replace');
    repo.newTry(id, OLD);
  }
  repo.writeShard({ runId: id, attempt: 1, shard: '1/2', now: OLD }, first.slice(0, TESTS / 2), 'replace');
  repo.writeShard({ runId: id, attempt: 1, shard: '2/2', now: OLD }, first.slice(TESTS / 2), 'replace');
  repo.writeShard({ runId: id, attempt: 2, shard: 'default', now: OLD }, rerun, 'replace');
  repo.writeShard(
    { runId: id, attempt: 3, shard: 'default', now: OLD },
    rerun.slice(0, RERUN / 2),
    'replace',
  );
}
db.prepare('UPDATE runs SET updated_at = ? WHERE run_id LIKE ?').run(OLD, 'big-%');
const count = (sql) => db.prepare(sql).pluck().get();
console.log(
  `seeded ${count('SELECT count(*) FROM runs')} runs (${BIG_RUNS} of ${TESTS + RERUN + RERUN / 2} results, every 4th with a history try), ${count('SELECT count(*) FROM results')} results in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

const fmt = (n) => `${n.toFixed(1)} ms`;
let left = BIG_RUNS;
for (const limit of [1, 2, 4]) {
  const times = [];
  for (let i = 0; i < 3 && left >= limit; i++) {
    t = performance.now();
    const n = expireRuns(db, '2021-01-01T00:00:00.000Z', limit, Infinity);
    times.push(performance.now() - t);
    left -= n;
  }
  const perRun = times.map((x) => x / limit);
  console.log(
    `expireRuns batch of ${limit} big run(s): ${times.map(fmt).join(', ')} (per run ${fmt(Math.min(...perRun))} .. ${fmt(Math.max(...perRun))})`,
  );
}
t = performance.now();
const none = expireRuns(db, '2021-01-01T00:00:00.000Z', 0);
console.log(
  `expireRuns with nothing to do (scan of ${count('SELECT count(*) FROM runs')} runs): ${fmt(performance.now() - t)} (${none})`,
);
db.prepare('UPDATE runs SET updated_at = ? WHERE run_id LIKE ?').run(OLD, 'small-%');
for (const limit of [100, 500]) {
  t = performance.now();
  const n = expireRuns(db, '2021-01-01T00:00:00.000Z', limit, Infinity);
  console.log(`expireRuns batch of ${n} one-result runs: ${fmt(performance.now() - t)}`);
}
// The job's own pass (adaptive batches) over what is left: the last big run(s) and the small runs.
const sizes = [];
const pass = await retentionPass(
  {
    expireRuns: (cutoff, limit) => {
      sizes.push(limit);
      return expireRuns(db, cutoff, limit);
    },
    now: () => Date.parse('2021-01-01T00:00:00.000Z') + 90 * 86_400_000,
    logger: pino({ level: 'silent' }),
  },
  90,
);
console.log(
  `retention pass (target ${TARGET_BATCH_MS} ms and at most ${MAX_RESULTS_PER_BATCH} results per batch): ${pass.removed} runs in ${pass.batches} batches of ${Math.min(...sizes)}..${Math.max(...sizes)} runs, longest batch ${fmt(pass.longestBatchMs)}`,
);
console.log(
  `freelist after the deletes: ${count('PRAGMA freelist_count')} of ${count('PRAGMA page_count')} pages`,
);
db.close();
rmSync(dir, { recursive: true, force: true });
