import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { StorageOpenError } from '../db/open.js';

const USAGE = 'usage: dozhim-reporter backup <file> [--db <path>]';

/** `postgres://` or `postgresql://` (the URL forms --db/DOZHIM_DB accept for PostgreSQL). */
const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * `dozhim-reporter backup <file> [--db <path>]`: a consistent copy of the SQLite database, taken
 * with SQLite's online backup API while a reporter may be serving and writing the same file.
 *
 * The copy is one backup step over all pages, which in WAL mode is one read transaction: it sees
 * the database as of its start (every upload acknowledged before it), writers are not blocked, and
 * a write by another connection cannot make it restart forever (as small steps would under steady
 * uploads). It is written to `<file>.partial-<pid>`, checked with `PRAGMA integrity_check`, then
 * renamed, so `<file>` is never a half-written copy. An existing `<file>` is never overwritten.
 *
 * Returns the exit code (0); usage errors throw ConfigError (exit 2), an unreadable database or an
 * unwritable destination StorageOpenError (exit 1): bin.ts prints them as one line.
 */
export async function backup(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stdout: (s: string) => void,
): Promise<number> {
  const program = new Command('dozhim-reporter backup')
    .description('Writes a consistent copy of the SQLite database, also while a reporter serves it.')
    .argument('<file>', 'the copy to write (must not exist)')
    .option('--db <path>', 'SQLite file to copy (env DOZHIM_DB, default ./data/dozhim.sqlite)')
    .exitOverride()
    .configureOutput({ writeOut: stdout, writeErr: () => {} })
    .helpOption('-h, --help', 'show this help');
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const help = e.code === 'commander.helpDisplayed' || e.code === 'commander.help';
      throw new ConfigError(
        help ? '' : `backup: ${e.message.replace(/^error: /, '')} (${USAGE})`,
        help ? 0 : 2,
      );
    }
    throw e;
  }
  const file = program.args[0]!;
  const flag = program.opts<{ db?: string }>().db;
  // The database the reporter itself would open: --db, else DOZHIM_DB, else the default.
  const source = loadConfig(flag === undefined ? [] : ['--db', flag], env).db;
  if (isPostgresUrl(source)) {
    throw new ConfigError(
      'backup: the database is PostgreSQL; back it up with pg_dump, e.g. `pg_dump --format=custom --file=dozhim.dump "$DOZHIM_DB"` (see reporter/README.md, Backup)',
      2,
    );
  }
  if (existsSync(file)) {
    throw new ConfigError(`backup: ${file} exists; a backup never overwrites a file, choose another name`, 2);
  }
  if (!existsSync(source)) throw new StorageOpenError(`backup: cannot read database ${source}: no such file`);
  if (!statSync(source).isFile())
    throw new StorageOpenError(`backup: cannot read database ${source}: not a file`);

  const started = performance.now();
  let db: Database.Database;
  try {
    // Not openDatabase(): a backup must not migrate or probe-write the database it copies.
    db = new Database(source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    if ((db.pragma('user_version', { simple: true }) as number) === 0) {
      db.close();
      throw new StorageOpenError(`backup: ${source} is not a dozhim-reporter database (no schema)`);
    }
  } catch (e) {
    if (e instanceof StorageOpenError) throw e;
    throw new StorageOpenError(`backup: cannot read database ${source}: ${(e as Error).message}`);
  }
  const partial = `${file}.partial-${process.pid}`;
  const removePartial = () => {
    for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
  };
  let pages: number;
  try {
    // The first step (0 pages) only measures; the callback then asks for every page in one step.
    pages = (await db.backup(partial, { progress: () => 0x7fffffff })).totalPages;
  } catch (e) {
    removePartial();
    throw new StorageOpenError(`backup: cannot write ${file}: ${(e as Error).message}`);
  } finally {
    db.close();
  }
  let check: string;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      check = (copy.pragma('integrity_check') as { integrity_check: string }[])
        .map((r) => r.integrity_check)
        .join('; ');
    } finally {
      copy.close();
    }
  } catch (e) {
    check = (e as Error).message;
  }
  if (check !== 'ok') {
    removePartial();
    throw new StorageOpenError(`backup: the copy failed its integrity check (${check}); nothing was written`);
  }
  try {
    renameSync(partial, file);
  } catch (e) {
    removePartial();
    throw new StorageOpenError(`backup: cannot write ${file}: ${(e as Error).message}`);
  }
  const mb = statSync(file).size / 1024 / 1024;
  const seconds = (performance.now() - started) / 1000;
  stdout(
    `dozhim-reporter: backup of ${source} written to ${file} (${pages} pages, ${mb.toFixed(1)} MiB, integrity ok) in ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}
