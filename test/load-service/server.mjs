#!/usr/bin/env node
// A stand that degrades under load, for the demo and the e2e tests: every request is held for a while
// (like a slow backend), and a request arriving while more than K others are in flight gets 503 at once.
// So a suite calling it from 8 parallel workers fails some tests, and from 4 workers passes.
//
//   node test/load-service/server.mjs [--max-in-flight K] [--hold-ms MS] [--port P]
//
// Prints `load-service listening on http://127.0.0.1:PORT` once ready; stops on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'max-in-flight': { type: 'string', default: process.env.LOAD_SERVICE_MAX_IN_FLIGHT ?? '4' },
    'hold-ms': { type: 'string', default: process.env.LOAD_SERVICE_HOLD_MS ?? '300' },
    port: { type: 'string', default: '0' },
  },
});
const maxInFlight = Number(values['max-in-flight']);
const holdMs = Number(values['hold-ms']);
if (!(maxInFlight >= 1 && holdMs >= 0)) {
  console.error('load-service: --max-in-flight must be >= 1 and --hold-ms >= 0');
  process.exit(2);
}

let inFlight = 0;
let peak = 0;
const stats = { ok: 0, rejected: 0 };

const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...stats, inFlight, peak, maxInFlight, holdMs }));
    return;
  }
  if (inFlight >= maxInFlight) {
    stats.rejected++;
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
    res.end(`overloaded: ${inFlight} requests in flight, limit ${maxInFlight}\n`);
    return;
  }
  inFlight++;
  peak = Math.max(peak, inFlight);
  const timer = setTimeout(() => {
    inFlight--;
    stats.ok++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  }, holdMs);
  // A client that gives up must not keep its slot.
  res.on('close', () => {
    if (!res.writableEnded) {
      clearTimeout(timer);
      inFlight--;
    }
  });
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(
    `load-service listening on http://127.0.0.1:${port} (max in flight ${maxInFlight}, hold ${holdMs} ms)`,
  );
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
