import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { backup } from './commands/backup.js';
import { allowedHosts, type Config, loadConfig } from './config.js';
import { StorageHealth } from './db/health.js';
import { openDatabase } from './db/open.js';
import { Repository } from './db/repository.js';
import { deleteRun, expireRuns } from './db/retention.js';
import { Admission, defaultPerClient } from './http/admission.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { WorkerParser } from './parse/worker-parser.js';
import { RetentionJob, retentionMetrics } from './retention-job.js';
import { SerialQueue } from './serial.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface MainIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal: Promise<string>;
}

/**
 * How often Node checks the headers and request deadlines. Its default (30 s) is why a 5 s
 * request timeout used to cut a slow client after ~30 s; 250 ms keeps every deadline within
 * a quarter second of its configured value for the cost of a scan of open connections.
 */
const DEADLINE_CHECK_MS = 250;

/** config → db → app → listen → wait for a stop signal → graceful shutdown. Returns the exit code. */
export async function main(io: MainIo): Promise<number> {
  if (io.argv[0] === 'backup') return backup(io.argv.slice(1), io.env, io.stdout);
  const config: Config = loadConfig(io.argv, io.env, io.stdout);
  const logger = pino({ name: 'dozhim-reporter', level: config.logLevel });
  const db = openDatabase(config.db);
  const storage = new StorageHealth(db, config.db);
  const parser = new WorkerParser();
  const uploads = new SerialQueue();
  const maxUploadsPerClient = config.maxUploadsPerClient ?? defaultPerClient(config.maxQueuedUploads);
  const admission = new Admission(
    { maxQueuedUploads: config.maxQueuedUploads, maxUploadsPerClient },
    uploads,
  );
  const hosts = allowedHosts(config);
  const metrics = createMetrics();
  const retention = new RetentionJob(
    {
      expireRuns: (cutoff, limit) => expireRuns(db, cutoff, limit),
      serialize: (task) => uploads.run(task),
      logger,
      metrics: retentionMetrics(metrics.registry),
    },
    { retentionDays: config.retentionDays, intervalMs: config.retentionIntervalMs },
  );
  const app = createApp({
    repo: new Repository(db),
    logger,
    metrics,
    tokens: { write: config.token, read: config.readToken },
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxBatch: config.maxBatch,
      maxQueuedUploads: config.maxQueuedUploads,
      maxUploadsPerClient,
      maxTestcases: config.maxTestcases,
      maxFieldBytes: config.maxFieldBytes,
      maxProperties: config.maxProperties,
      maxRunResults: config.maxRunResults,
    },
    version,
    parser,
    storage,
    uploads,
    admission,
    allowedHosts: hosts,
    deleteRun: (runId) => deleteRun(db, runId),
  });

  const headersTimeout = config.headersTimeoutMs ?? Math.min(30_000, config.requestTimeoutMs);
  const server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(headersTimeout, config.requestTimeoutMs),
      connectionsCheckingInterval: DEADLINE_CHECK_MS,
    },
    app,
  );
  server.listen(config.port, config.host);
  let stopping = false;
  // While stopping, a connection whose response just finished would otherwise idle in keep-alive
  // until its timeout: tell the client and close it as soon as the response is out.
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
  });
  try {
    await once(server, 'listening');
  } catch (e) {
    await parser.close();
    db.close();
    throw e;
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  // A plain line (not JSON) that scripts and tests wait for, especially with --port 0.
  io.stdout(`dozhim-reporter listening on http://${host}:${port}\n`);
  logger.info(
    {
      host: address,
      port,
      db: config.db,
      auth: { write: !!config.token, read: !!config.readToken },
      allowedHosts: hosts ?? '*',
    },
    'started',
  );
  retention.start();

  const signal = await io.stopSignal;
  stopping = true;
  admission.stop();
  const retentionStopped = retention.stop();
  logger.info({ signal }, 'stopping: no new connections, finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Shortly before the deadline, uploads still being received or waiting for the queue are
  // answered 503 shutting_down (clients retry) rather than reset when their sockets are closed.
  const answerMs = Math.max(0, config.drainTimeoutMs - Math.min(1000, config.drainTimeoutMs / 4));
  const answer = setTimeout(() => {
    const n = admission.expire();
    if (n > 0) logger.warn({ uploads: n }, 'stopping: answered unfinished uploads 503 shutting_down');
  }, answerMs);
  const force = setTimeout(() => server.closeAllConnections(), config.drainTimeoutMs);
  await closed;
  clearTimeout(answer);
  clearTimeout(force);
  await retentionStopped;
  await parser.close();
  db.close();
  logger.info('stopped');
  return 0;
}
