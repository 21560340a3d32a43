import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { type Config, loadConfig } from './config.js';
import { openDatabase } from './db/open.js';
import { Repository } from './db/repository.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { WorkerParser } from './parse/worker-parser.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface MainIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal: Promise<string>;
}

/** How long in-flight requests get to finish after a stop signal before their sockets are closed. */
const DRAIN_MS = 10_000;

/** config → db → app → listen → wait for a stop signal → graceful shutdown. Returns the exit code. */
export async function main(io: MainIo): Promise<number> {
  const config: Config = loadConfig(io.argv, io.env, io.stdout);
  const logger = pino({ name: 'dozhim-reporter', level: config.logLevel });
  const db = openDatabase(config.db);
  const parser = new WorkerParser();
  const app = createApp({
    repo: new Repository(db),
    logger,
    metrics: createMetrics(),
    tokens: { write: config.token, read: config.readToken },
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxBatch: config.maxBatch,
      maxQueuedUploads: config.maxQueuedUploads,
    },
    version,
    parser,
  });

  const server = app.listen(config.port, config.host);
  let stopping = false;
  // While stopping, a connection whose response just finished would otherwise idle in keep-alive
  // until its timeout: tell the client and close it as soon as the response is out.
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
  });
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(30_000, config.requestTimeoutMs);
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
    { host: address, port, db: config.db, auth: { write: !!config.token, read: !!config.readToken } },
    'started',
  );

  const signal = await io.stopSignal;
  stopping = true;
  logger.info({ signal }, 'stopping: no new connections, finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  await closed;
  clearTimeout(force);
  await parser.close();
  db.close();
  logger.info('stopped');
  return 0;
}
