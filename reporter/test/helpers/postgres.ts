import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// A real PostgreSQL 15 for tests: initdb + pg_ctl as the unprivileged `postgres` user (PostgreSQL
// refuses to run as root) into a temp dir, on a free loopback port, fsync off (a test cluster need
// not survive a power loss). One cluster per test file (~1 s), a fresh database per createDatabase().

const BIN_DIR = '/usr/lib/postgresql/15/bin';
const PG_USER = 'postgres';

export interface PgCluster {
  port: number;
  /** URL of a fresh, empty database on the cluster (each call a new one). */
  createDatabase(name?: string): Promise<string>;
  /** Server log, for failure messages. */
  log(): string;
  stop(): void;
}

function requireBinaries(): void {
  for (const b of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(BIN_DIR, b)))
      throw new Error(
        `PostgreSQL tests need ${BIN_DIR}/${b}: install Debian's package postgresql-15 (apt-get install postgresql-15; npm test runs scripts/ensure-tools.mjs, which does)`,
      );
  }
  try {
    execFileSync('id', [PG_USER], { stdio: 'pipe' });
  } catch {
    throw new Error(
      `PostgreSQL tests need the system user "${PG_USER}" (created by Debian's package postgresql-15)`,
    );
  }
}

/** A port nobody listens on right now (the kernel's pick); pg_ctl start is retried if it is taken. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asPostgres = (cmd: string, args: string[]) =>
  execFileSync('runuser', ['-u', PG_USER, '--', join(BIN_DIR, cmd), ...args], { stdio: 'pipe' });

export async function startPostgres(): Promise<PgCluster> {
  requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dozhim-pg-'));
  const uid = Number(execFileSync('id', ['-u', PG_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', PG_USER]).toString().trim());
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const readLog = () => {
    try {
      return execFileSync('cat', [logFile]).toString();
    } catch {
      return '';
    }
  };
  // A linguistic default collation (ICU English: 'a' < 'B' < 'b'), as production clusters usually
  // have: the schema's COLLATE "C" columns must give byte order regardless.
  asPostgres('initdb', [
    '-D',
    data,
    '-U',
    PG_USER,
    '--auth=trust',
    '-N',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--locale-provider=icu',
    '--icu-locale=en',
  ]);
  let port = 0;
  for (let tryNo = 1; ; tryNo++) {
    port = await freePort();
    const opts = [
      `-c port=${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    try {
      asPostgres('pg_ctl', ['-D', data, '-o', opts, '-w', '-t', '30', '-l', logFile, 'start']);
      break;
    } catch (e) {
      if (tryNo >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${readLog()}`);
      }
    }
  }
  let n = 0;
  let stopped = false;
  return {
    port,
    log: readLog,
    async createDatabase(name = `t${process.pid}_${++n}`) {
      const admin = new pg.Client({ host: '127.0.0.1', port, user: PG_USER, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return `postgres://${PG_USER}@127.0.0.1:${port}/${name}`;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A storage backend for tests that run once per backend (describe.each). */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** In beforeAll: a temp dir, or a PostgreSQL cluster. */
  setup(): Promise<void>;
  /** What startReporter's --db gets: a fresh SQLite file path or a fresh database's URL. */
  database(name: string): Promise<string>;
  /** In afterAll. */
  teardown(): void;
}

export function backends(): Backend[] {
  let dir: { dir: string; cleanup: () => void } | undefined;
  let cluster: PgCluster | undefined;
  let n = 0;
  return [
    {
      name: 'sqlite',
      setup: async () => {
        const made = mkdtempSync(join(tmpdir(), 'dozhim-reporter-'));
        dir = { dir: made, cleanup: () => rmSync(made, { recursive: true, force: true }) };
      },
      database: async (name) => `${dir!.dir}/${name}.sqlite`,
      teardown: () => dir?.cleanup(),
    },
    {
      name: 'postgres',
      setup: async () => {
        cluster = await startPostgres();
      },
      database: async (name) => cluster!.createDatabase(`${name.replace(/[^a-z0-9_]/gi, '_')}_${++n}`),
      teardown: () => cluster?.stop(),
    },
  ];
}
