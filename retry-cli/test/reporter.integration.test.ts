import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJUnit } from '@dozhim/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  runNotFound,
  sampleAttemptSummary,
  sampleRunDetail,
  sampleTestRow,
  sampleAttempt as stubAttempt,
  sampleRun as stubRun,
} from '../../core/test/wire-samples.js';
import { assertBuilt, makeSuite, passing, runCli, startCli } from './harness.js';

// `dozhim` against the REAL reporter (reporter/bin/dozhim-reporter.js on a temp SQLite file), and
// its local-mode fallback when the reporter is dead or dies mid-run.

const REPORTER = fileURLToPath(new URL('../../reporter/bin/dozhim-reporter.js', import.meta.url));
const REPORTER_BUILT = fileURLToPath(new URL('../../reporter/dist/main.js', import.meta.url));

const started: ChildProcess[] = [];

async function startReporter(token = ''): Promise<{ url: string; proc: ChildProcess }> {
  if (!existsSync(REPORTER_BUILT))
    throw new Error('the reporter is not built: run `npx tsc -b reporter` first');
  const dir = await mkdtemp(join(tmpdir(), 'dozhim-rep-'));
  const proc = spawn(process.execPath, [REPORTER, '--port', '0', '--db', join(dir, 'r.db')], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, DOZHIM_TOKEN: token },
  });
  started.push(proc);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('reporter did not start within 15 s')), 15_000);
    let out = '';
    proc.stdout?.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`reporter exited with ${code}`)));
  });
  return { url, proc };
}

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A server on 127.0.0.1 that answers every request with `answer`; closed after the test. */
async function stubServer(answer: (req: IncomingMessage) => { status: number; type: string; body: string }) {
  const stub = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answer(req);
      res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
    });
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  stubs.push(stub);
  return `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
}
const stubs: Server[] = [];

// biome-ignore lint/suspicious/noExplicitAny: reporter responses are checked field by field below.
type Json = any;
const getJson = async (url: string): Promise<Json> => (await fetch(url)).json();
const esc = (s: string): string => s.replace(/[[\]\\^$.*+?(){}|]/g, '\\$&');

beforeAll(() => assertBuilt());
afterEach(() => {
  for (const p of started.splice(0)) p.kill();
  for (const s of stubs.splice(0)) s.close();
});

const common = (dir: string): string[] => [
  '--state-dir',
  join(dir, '.dozhim'),
  '--report',
  join(dir, 'report.xml'),
  '--summary-json',
  join(dir, 'summary.json'),
];

describe('dozhim with the reporter', () => {
  it('stores every attempt, records threads and decisions, and ends a green run with no failing tests', async () => {
    const { url } = await startReporter();
    const s = await makeSuite([
      ...passing(3),
      { classname: 'suite.Flaky', name: 'once [p-1]', failTimes: 1 },
    ]);
    const runId = 'team/e2e:42';
    const r = await runCli(
      [
        'run',
        ...common(s.dir),
        '--run-id',
        runId,
        '--reporter',
        url,
        '--threads',
        '4',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
      { GITLAB_CI: 'true', CI_PROJECT_PATH: 'team/e2e', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: 'abc123' },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const enc = encodeURIComponent(runId);
    expect(r.stdout).toContain(`reporter: ${url}/api/v1/runs/${enc}`);
    // GitLab collapsible sections around each attempt.
    const ESC = '\x1b[0K';
    expect(r.stdout).toMatch(
      new RegExp(`${esc(ESC)}section_start:\\d+:dozhim_attempt_1\\[collapsed=true\\]\r${esc(ESC)}`),
    );
    expect(r.stdout).toMatch(new RegExp(`${esc(ESC)}section_end:\\d+:dozhim_attempt_2\r${esc(ESC)}`));
    // The section's title is the attempt header: said once per attempt, not twice.
    expect(r.stdout.split('dozhim: attempt 1/').length - 1).toBe(1);

    const run = await getJson(`${url}/api/v1/runs/${enc}`);
    expect(run.run).toMatchObject({ project: 'team/e2e', branch: 'main', commit: 'abc123' });
    expect(
      run.attempts.map((a: Json) => [a.attempt, a.threads, a.counts.total, a.exitCode, a.decision.action]),
    ).toEqual([
      [1, 4, 4, 1, 'retry'],
      [2, 2, 1, 0, 'finish'],
    ]);
    expect(run.current.flaky).toEqual(['suite.Flaky::once [p-1]']);
    expect(await getJson(`${url}/failedTests/${enc}`)).toEqual({ data: [] });
    const attempt1 = await getJson(`${url}/api/v1/runs/${enc}/tests?attempt=1&status=all`);
    expect(attempt1.data).toHaveLength(4);
  });

  it('uploads in-run retry evidence: a test that passed on its framework retry is flaky in the reporter too', async () => {
    const { url } = await startReporter();
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-cli-'));
    // The framework retried inside the run and marked it (Surefire/Playwright <flakyFailure>). The same
    // testcase written twice is two executions by default (core ReadOptions.repeats), not a retry.
    const xml =
      '<testsuites><testsuite name="s"><testcase classname="ui.Cart" name="adds an item"><flakyFailure message="timeout"/></testcase>' +
      '<testcase classname="ui.Cart" name="removes it"/></testsuite></testsuites>';
    const script = `require('node:fs').writeFileSync(process.env.DOZHIM_JUNIT, ${JSON.stringify(xml)})`;
    const r = await runCli(
      ['run', ...common(dir), '--run-id', 'in-run-retry', '--reporter', url, '--', 'node', '-e', script],
      dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = await getJson(`${url}/api/v1/runs/in-run-retry`);
    expect(run.attempts).toHaveLength(1);
    expect(run.current.flaky).toEqual(['ui.Cart::adds an item']);
    const report = parseJUnit(await (await fetch(`${url}/api/v1/runs/in-run-retry/report.xml`)).text());
    const retried = report.results.find((t) => t.id === 'ui.Cart::adds an item');
    expect(retried?.retries.map((e) => [e.kind, e.message])).toEqual([['flakyFailure', 'timeout']]);
  });

  it('a reporter URL that answers 404 to writes is not taken for success: exit 2 with its message', async () => {
    const stub = createHttpServer((_req, res) => {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"not_found","message":"no"}}');
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const s = await makeSuite(passing(2));
      const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}/wrong-path`;
      const r = await runCli(['run', ...common(s.dir), '--reporter', url, '--', 'node', s.suite], s.dir);
      expect(r.code, r.stderr + r.stdout).toBe(2);
      expect(r.stderr).toMatch(/the reporter refused to create the run \(not_found\): PUT .* 404: no/);
      expect(r.stderr).not.toContain('LOCAL MODE');
    } finally {
      stub.close();
    }
  });

  it('a signal cancels reporter retries at once instead of waiting out the retry budget', async () => {
    let posts = 0;
    const stub = createHttpServer((req, res) => {
      // Runs and tries can be created; uploads keep failing with 503, so the client keeps retrying.
      const isTry = req.method === 'POST' && req.url?.endsWith('/tries');
      if (req.method === 'POST' && !isTry) posts++;
      const status = req.method === 'POST' && !isTry ? 503 : req.method === 'GET' ? 404 : 200;
      // Contract-valid answers (@dozhim/core/wire): the client parses every one.
      const body = JSON.stringify(
        isTry
          ? { run: stubRun(), superseded: 0 }
          : req.method === 'GET'
            ? runNotFound
            : req.method === 'PATCH'
              ? stubAttempt()
              : stubRun(),
      );
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const s = await makeSuite(passing(2));
      const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
      const { child, done } = startCli(
        ['run', ...common(s.dir), '--reporter', url, '--', 'node', s.suite],
        s.dir,
        { DOZHIM_REPORTER_TIMEOUT: '30' },
      );
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && posts === 0) await new Promise((r) => setTimeout(r, 20));
      expect(posts, 'the upload never started').toBeGreaterThan(0);
      const killedAt = Date.now();
      child.kill('SIGTERM');
      const r = await done;
      expect(r.code, r.stderr + r.stdout).toBe(143);
      expect(Date.now() - killedAt).toBeLessThan(5_000);
    } finally {
      stub.close();
    }
  });

  it('falls back to local mode, loudly, when the reporter is unreachable, and still exits right', async () => {
    const s = await makeSuite([...passing(2), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const t0 = Date.now();
    const r = await runCli(
      ['run', ...common(s.dir), '--reporter', dead, '--fail-on-flaky', '--', 'node', s.suite],
      s.dir,
      {
        DOZHIM_REPORTER_TIMEOUT: '1',
      },
    );
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.stderr).toContain('Continuing in LOCAL MODE');
    expect(r.stdout).toContain('WARNING: local mode - reporter failed while trying to create the run');
    const summary = JSON.parse(await readFile(join(s.dir, 'summary.json'), 'utf8'));
    expect(summary.mode).toBe('local');
    expect(summary.flaky).toEqual(['suite.Flaky::once']);
  });

  it('keeps going in local mode when the reporter stops mid-run', async () => {
    const { url, proc } = await startReporter();
    const s = await makeSuite([...passing(2), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    // The before-rerun hook stops the reporter between attempt 1 and attempt 2.
    const r = await runCli(
      [
        'run',
        ...common(s.dir),
        '--reporter',
        url,
        '--before-rerun',
        `kill ${proc.pid}`,
        '--',
        'node',
        s.suite,
      ],
      s.dir,
      { DOZHIM_REPORTER_TIMEOUT: '1' },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toContain('Continuing in LOCAL MODE');
    const summary = JSON.parse(await readFile(join(s.dir, 'summary.json'), 'utf8'));
    expect(summary.mode).toBe('local');
    expect(summary.attempts).toHaveLength(2);
    expect(summary.flaky).toEqual(['suite.Flaky::once']);
    const merged = parseJUnit(await readFile(join(s.dir, 'report.xml'), 'utf8'));
    expect(merged.results).toHaveLength(3);
  });

  it('sends the bearer token; a rejected token is a "no", not an outage: exit 2 with the message', async () => {
    const { url } = await startReporter('s3cret-token');
    const s = await makeSuite(passing(2));
    const ok = await runCli(
      ['run', ...common(s.dir), '--run-id', 'tok-1', '--reporter', url, '--', 'node', s.suite],
      s.dir,
      {
        DOZHIM_TOKEN: 's3cret-token',
      },
    );
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stderr).not.toContain('LOCAL MODE');
    expect((await getJson(`${url}/api/v1/runs/tok-1`)).attempts).toHaveLength(1);

    const wrong = await runCli(
      [
        'run',
        ...common(s.dir),
        '--run-id',
        'tok-2',
        '--reporter',
        url,
        '--token',
        'nope',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
    );
    expect(wrong.code, wrong.stderr + wrong.stdout).toBe(2);
    expect(wrong.stderr).toMatch(/the reporter refused to create the run \(\w+\): PUT .* 403/);
    expect(wrong.stderr).not.toContain('LOCAL MODE');
  });

  it('three `dozhim attempt --reporter` calls: every rerun shows how many tests it selected, never "all"', async () => {
    const { url } = await startReporter();
    const s = await makeSuite([
      ...passing(2),
      { classname: 'suite.Flaky', name: 'once', failTimes: 1 },
      { classname: 'suite.Flaky', name: 'twice', failTimes: 2 },
    ]);
    const call = () =>
      runCli(
        [
          'attempt',
          ...common(s.dir),
          '--run-id',
          'staged-1',
          '--reporter',
          url,
          '--threads',
          '4',
          '--',
          'node',
          s.suite,
        ],
        s.dir,
      );
    const codes: (number | null)[] = [];
    for (let i = 0; i < 3; i++) codes.push((await call()).code);
    expect(codes).toEqual([1, 1, 0]);
    // The third call's summary is built from the reporter's attempts (the local state of this job
    // has them too, but the reporter is the source when it knows the run).
    const summary = JSON.parse(await readFile(join(s.dir, 'summary.json'), 'utf8'));
    expect(summary.attempts.map((a: Json) => [a.attempt, a.selected])).toEqual([
      [1, undefined],
      [2, 2],
      [3, 1],
    ]);
    expect((await s.runs()).map((r) => r.ran.length)).toEqual([4, 2, 1]);
  });
});

describe('an answer that is not the reporter API (the wire contract)', () => {
  const html = () => ({
    status: 200,
    type: 'text/html',
    body: '<html><body>Sign in to the proxy</body></html>',
  });
  /** `dozhim failed` of run r1 against the reporter at `url`, with empty local state. */
  const failedVia = async (url: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-bad-'));
    return runCli(['failed', '--run-id', 'r1', '--state-dir', join(dir, '.dozhim'), '--reporter', url], dir);
  };

  it('a query against a 200 page that is not the API exits 7 with a clear message, never "nothing failed"', async () => {
    const url = await stubServer(html);
    const r = await failedVia(url);
    expect(r.code, r.stderr + r.stdout).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/GET \/api\/v1\/runs\/r1 → 200 with a body that is not the reporter's API/);
    expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
  });

  it('a listed test whose status is not one of the contract is refused, not read as "not failing"', async () => {
    // The fooling input: `FAILED` is no status core knows, so a client that took it as data would
    // count nothing as failing and print an empty list with exit 0.
    const detail = sampleRunDetail([sampleAttemptSummary({ threads: 4, exitCode: 1 }, 1)], ['a::b']);
    // Built as JSON by hand: the sample builder would refuse the fooling status itself.
    const row = (status: string) => ({
      ...sampleTestRow({ id: 'a::b', classname: 'a', name: 'b', message: 'boom' }),
      status,
    });
    for (const [status, code, out] of [
      ['failed', 0, 'a::b\n'],
      ['FAILED', 7, ''],
    ] as const) {
      const url = await stubServer((req) => ({
        status: 200,
        type: 'application/json',
        body: JSON.stringify(
          req.url?.includes('/tests') ? { data: [row(status)], nextCursor: null } : detail,
        ),
      }));
      const r = await failedVia(url);
      expect(r.code, `${status}: ${r.stderr}${r.stdout}`).toBe(code);
      expect(r.stdout).toBe(out);
      if (code === 7) expect(r.stderr).toMatch(/data\.0\.status: Invalid option/);
    }
  });

  it('a 404 to a read that is not "run not found" is a wrong URL (exit 2), not an empty run', async () => {
    const url = await stubServer(() => ({
      status: 404,
      type: 'application/json',
      body: '{"error":{"code":"not_found","message":"no route for GET /x"}}',
    }));
    const r = await failedVia(url);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refused to load the run \(not_found\)/);
  });

  it('a run against a 200 page goes on in local mode, loudly, with the same verdict', async () => {
    const url = await stubServer(html);
    const s = await makeSuite([
      ...passing(1),
      { classname: 'suite.Broken', name: 'always', failTimes: Infinity },
    ]);
    const r = await runCli(
      ['run', ...common(s.dir), '--reporter', url, '--max-runs', '1', '--', 'node', s.suite],
      s.dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toContain('Continuing in LOCAL MODE');
    expect(r.stderr).toMatch(/PUT \/api\/v1\/runs\/[^ ]+ → 200 with a body that is not the reporter's API/);
    const summary = JSON.parse(await readFile(join(s.dir, 'summary.json'), 'utf8'));
    expect(summary.mode).toBe('local');
    expect(summary.failing).toEqual(['suite.Broken::always']);
  });
});
