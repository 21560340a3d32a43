#!/usr/bin/env node
// The README's demo: a suite that fails only under high parallelism, run through `dozhim run`.
//
//   npm run build && node scripts/demo.mjs [--keep]
//
// 1. makes sure the Debian tools are there (pytest + pytest-xdist), 2. starts the reporter on an
// embedded SQLite file in a temp dir, 3. starts the load service (503 above 4 requests in flight),
// 4. runs `dozhim run --framework pytest --threads 8 --reporter <url> -- python3 -m pytest
// test/suites/load-sensitive`: attempt 1 with 8 threads fails some tests, attempt 2 re-runs only those
// with 4 threads and they pass; 5. prints the run's URL in the reporter, stops the services and exits
// with dozhim's exit code. With --keep the reporter stays up (Ctrl-C to stop) so the URL can be opened.
// The temp dir (database, merged report, dozhim state) is kept and printed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const say = (msg) => console.log(`\n[demo] ${msg}`);

const tools = spawnSync(process.execPath, [join(ROOT, 'scripts/ensure-tools.mjs')], { stdio: 'inherit' });
if (tools.status !== 0) process.exit(tools.status ?? 1);
for (const built of ['retry-cli/dist/bin.js', 'reporter/dist/bin.js']) {
  if (!existsSync(join(ROOT, built))) {
    console.error(`[demo] ${built} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), 'dozhim-demo-'));
const services = [];

/** Starts a node service and resolves with its URL once it prints `listening on http://…`. */
function start(label, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    services.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 20 s:\n${out}`)), 20_000);
    const onData = (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      child.stderr.resume(); // the reporter's JSON logs are not part of the demo
      resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}:\n${out}`)));
  });
}

async function stopAll() {
  await Promise.all(
    services.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.removeAllListeners('exit');
          c.once('exit', resolve);
          c.kill('SIGTERM');
        }),
    ),
  );
}

let exitCode = 1;
try {
  const reporter = await start('reporter', [
    'reporter/bin/dozhim-reporter.js',
    '--port',
    '0',
    '--db',
    join(work, 'dozhim.db'),
  ]);
  say(`reporter on ${reporter} (SQLite: ${join(work, 'dozhim.db')})`);
  const service = await start('load service', ['test/load-service/server.mjs', '--max-in-flight', '4']);
  say(`load service on ${service}: answers 503 when more than 4 requests are in flight`);

  const runId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  const argv = ['run', '--framework', 'pytest', '--threads', '8', '--reporter', reporter, '--run-id', runId];
  const command = ['/usr/bin/python3', '-m', 'pytest', 'test/suites/load-sensitive'];
  say(`dozhim ${argv.join(' ')} -- ${command.join(' ')}\n`);
  const dozhim = spawn(
    process.execPath,
    [
      'retry-cli/bin/dozhim.js',
      ...argv,
      '--state-dir',
      join(work, 'state'),
      '--report',
      join(work, 'dozhim-report.xml'),
      '--',
      ...command,
    ],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, LOAD_SERVICE_URL: service } },
  );
  // Ctrl-C reaches dozhim through the terminal's process group; it forwards it and exits 130.
  process.on('SIGINT', () => {});
  exitCode = await new Promise((resolve) =>
    dozhim.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGTERM' ? 15 : 2))),
  );

  const runUrl = `${reporter}/api/v1/runs/${encodeURIComponent(runId)}`;
  say(`dozhim exited with ${exitCode}. The run in the reporter: ${runUrl}`);
  say(`failing tests now (legacy API): ${reporter}/failedTests/${encodeURIComponent(runId)}`);
  say(`merged JUnit report: ${join(work, 'dozhim-report.xml')} (also ${runUrl}/report.xml)`);
  say(`demo files (SQLite database, report, dozhim state) are kept in ${work}`);
  if (keep) {
    say('--keep: the reporter stays up; press Ctrl-C to stop.');
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
} catch (e) {
  console.error(`[demo] ${e.message}`);
} finally {
  await stopAll();
}
process.exit(exitCode);
