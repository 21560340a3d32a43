import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMigrateCommand } from '../../src/commands/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import { Repository } from '../../src/db/repository.js';
import { PgStorage } from '../../src/storage/pg-storage.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/server.js';
import { classResult } from '../helpers/shards.js';

// `migrate` on a file a reporter is still writing: a shard re-upload that lands while the copy is
// running must not leave the copy with a result whose test row was copied before it (reads join
// them: the failure would vanish from every answer). The copy is one read snapshot of the file.
let cluster: PgCluster;
const tmp = tempDir();
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(() => {
  cluster?.stop();
  tmp.cleanup();
});

it('a write during the copy: the copy is the file as it was when the copy began, whole', async () => {
  const file = `${tmp.dir}/live.sqlite`;
  const db = openDatabase(file);
  const live = new Repository(db);
  const now = '2026-12-02T00:00:00.000Z';
  live.writeShard({ runId: 'A', attempt: 1, shard: 's', now }, [classResult('x', 'passed')], 'replace');
  // The live reporter's retried shard job lands just before the copy reads the results table.
  const proto = Database.prototype as unknown as { prepare: (sql: string) => unknown };
  const prepare = proto.prepare;
  let wrote = false;
  proto.prepare = function (this: Database.Database, sql: string) {
    if (this !== db && !wrote && /FROM results ORDER BY pk/.test(sql)) {
      wrote = true;
      live.writeShard(
        { runId: 'A', attempt: 1, shard: 's', now },
        [classResult('x', 'passed'), classResult('y', 'failed')],
        'replace',
      );
    }
    return prepare.call(this, sql);
  };
  const url = await cluster.createDatabase('live');
  const out: string[] = [];
  let code: number;
  try {
    code = await runMigrateCommand(['--from', `sqlite:${file}`, '--to', url], { stdout: (s) => out.push(s) });
  } finally {
    proto.prepare = prepare;
  }
  expect(wrote, 'the interleaving happened').toBe(true);
  expect(code, out.join('')).toBe(0);
  expect(live.failingIds(live.runKey('A')!.pk)).toEqual(['C::y']);
  const store = await PgStorage.open(url);
  try {
    const k = (await store.runKey('A'))!;
    const summary = await store.read({ op: 'summary', runPk: k.pk });
    // The snapshot before the write: x passed, nothing else; and every count agrees with every set.
    expect(summary.current.totals).toMatchObject({ total: 1, passed: 1, failed: 0 });
    expect(await store.failingIds(k.pk)).toEqual([]);
    expect(summary.attempts[0]!.shards[0]!.counts).toMatchObject({ total: 1, passed: 1 });
  } finally {
    await store.close();
    db.close();
  }
}, 120_000);
