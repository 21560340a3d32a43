import type { Decision, RetryEvidence, TestResult, TestStatus } from '@dozhim/core';
import type { AxiosError, AxiosInstance, AxiosRequestConfig, CreateAxiosDefaults } from 'axios';
import type { CiMetadata } from '../cli/ci-env.js';

/**
 * Client of the reporter's REST API (contract in the task brief / reporter README).
 *
 * Every call retries network errors and 5xx/429 with exponential backoff for a bounded time (the
 * budget, DOZHIM_REPORTER_TIMEOUT); past it, ReporterUnavailableError is thrown and the caller goes
 * on in local mode. A reporter outage must never fail the tests.
 */

/** Creates the HTTP client; async so axios is only loaded when a reporter is configured. */
export type HttpFactory = (config: CreateAxiosDefaults) => Promise<AxiosInstance>;

export class ReporterUnavailableError extends Error {
  override readonly name = 'ReporterUnavailableError';
}

/** A definite answer from the reporter that is not success (4xx): retrying will not help. */
export class ReporterHttpError extends Error {
  override readonly name = 'ReporterHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AttemptPatch {
  threads?: number;
  selectedCount?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  decision?: Pick<Decision, 'action' | 'reason' | 'line'>;
  /** Sharded attempt 1: how many shards it is split into. */
  shardTotal?: number;
}

export interface RemoteAttempt {
  attempt: number;
  threads: number | null;
  selectedCount: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  decision: { action: string; reason: string; line: string } | null;
  shardTotal?: number | null;
  shards?: { name: string }[];
}

export interface RemoteRun {
  run: Record<string, unknown> & { try?: number };
  attempts: RemoteAttempt[];
  current: { failing: string[]; flaky: string[] };
}

export interface RemoteTest {
  id: string;
  suite: string | null;
  classname: string | null;
  name: string;
  file: string | null;
  status: TestStatus;
  durationMs: number | null;
  line?: number | null;
  message: string | null;
  type: string | null;
  retries?: RetryEvidence[];
  attempt: number;
  shard: string;
}

export interface ReporterClientOptions {
  baseUrl: string;
  token?: string;
  /** Total time one call may spend retrying before the reporter counts as unreachable. */
  budgetMs: number;
  http: HttpFactory;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** When aborted, the request in flight is cancelled and no retry follows. */
  signal?: AbortSignal;
}

/** Results per request: keeps bodies well under the reporter's size limit for suites of any size. */
const UPLOAD_BATCH = 2000;

export class ReporterClient {
  private axios: Promise<AxiosInstance> | undefined;
  readonly baseUrl: string;

  constructor(private readonly options: ReporterClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  private client(): Promise<AxiosInstance> {
    this.axios ??= this.options.http({
      baseURL: this.baseUrl,
      headers: this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {},
      // Status handling is ours: 4xx are definite answers, 5xx are retried.
      validateStatus: () => true,
      proxy: false,
    });
    return this.axios;
  }

  static runPath(runId: string): string {
    return `/api/v1/runs/${encodeURIComponent(runId)}`;
  }

  runUrl(runId: string): string {
    return `${this.baseUrl}${ReporterClient.runPath(runId)}`;
  }

  private async request<T>(config: AxiosRequestConfig): Promise<{ status: number; data: T }> {
    const started = this.options.now();
    let delay = 100;
    let lastProblem = '';
    for (let tries = 1; ; tries++) {
      const remaining = this.options.budgetMs - (this.options.now() - started);
      try {
        const res = await (await this.client()).request<T>({
          ...config,
          timeout: Math.max(250, Math.min(remaining, 15_000)),
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
        if (res.status < 500 && res.status !== 429) {
          // 404 is an answer only to a read ("no such run yet"); to a write it means a wrong URL,
          // and taking it as success would silently lose every result.
          const notFoundRead = res.status === 404 && (config.method ?? 'GET').toUpperCase() === 'GET';
          if (res.status >= 400 && !notFoundRead) {
            const err = (res.data as { error?: { code?: string; message?: string } } | undefined)?.error;
            throw new ReporterHttpError(
              res.status,
              err?.code ?? `http_${res.status}`,
              `${config.method ?? 'GET'} ${config.url} → ${res.status}: ${err?.message ?? 'request rejected'}`,
            );
          }
          return { status: res.status, data: res.data };
        }
        lastProblem = `HTTP ${res.status}`;
      } catch (e) {
        if (e instanceof ReporterHttpError) throw e;
        lastProblem = (e as AxiosError).code ?? (e as Error).message;
      }
      if (this.options.signal?.aborted) {
        throw new ReporterUnavailableError(
          `reporter call to ${this.baseUrl} cancelled by ${this.options.signal.reason}`,
        );
      }
      const left = this.options.budgetMs - (this.options.now() - started);
      if (left <= 0) {
        throw new ReporterUnavailableError(
          `reporter ${this.baseUrl} unreachable after ${tries} tries (${lastProblem})`,
        );
      }
      await abortable(this.options.sleep(Math.min(delay, left)), this.options.signal);
      delay = Math.min(delay * 2, 2000);
    }
  }

  /** Creates the run or updates its metadata; returns the run's current try. */
  async putRun(runId: string, meta: CiMetadata): Promise<number> {
    const res = await this.request<{ try?: number }>({
      method: 'PUT',
      url: ReporterClient.runPath(runId),
      data: meta,
    });
    return res.data.try ?? 1;
  }

  /** Starts a new try of the run id (the old attempts become history); returns it and how many it superseded. */
  async newTry(runId: string): Promise<{ try: number; superseded: number }> {
    const res = await this.request<{ run: { try: number }; superseded: number }>({
      method: 'POST',
      url: `${ReporterClient.runPath(runId)}/tries`,
    });
    return { try: res.data.run.try, superseded: res.data.superseded };
  }

  /**
   * Stores one shard's results, in batches: the first replaces the shard (a re-run shard job leaves
   * nothing of its earlier upload), the others add to it. `tryNumber` makes the reporter refuse the
   * write once a newer try of the run id superseded this one.
   */
  async uploadResults(
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
    tryNumber?: number,
  ): Promise<void> {
    for (let i = 0; i === 0 || i < results.length; i += UPLOAD_BATCH) {
      const batch = results.slice(i, i + UPLOAD_BATCH).map((r) => ({
        id: r.id,
        suite: r.suite,
        classname: r.classname,
        name: r.name,
        file: r.file,
        status: r.status,
        durationMs: r.durationMs,
        message: r.message,
        type: r.type,
        details: r.details,
        stdout: r.stdout,
        stderr: r.stderr,
        line: r.line,
        properties: r.properties,
        // In-run retries (Playwright, jest retryTimes, Surefire): without them the reporter would
        // show a test that passed only on its second try as plainly green.
        retries: r.retries,
      }));
      await this.request({
        method: 'POST',
        url: `${ReporterClient.runPath(runId)}/attempts/${attempt}/results`,
        params: { shard, replace: i === 0, ...(tryNumber ? { try: tryNumber } : {}) },
        data: { results: batch },
      });
    }
  }

  async patchAttempt(runId: string, attempt: number, patch: AttemptPatch, tryNumber?: number): Promise<void> {
    await this.request({
      method: 'PATCH',
      url: `${ReporterClient.runPath(runId)}/attempts/${attempt}`,
      ...(tryNumber ? { params: { try: tryNumber } } : {}),
      data: patch,
    });
  }

  /** The run with its attempts, or undefined when the reporter does not know it. */
  async getRun(runId: string): Promise<RemoteRun | undefined> {
    const res = await this.request<RemoteRun>({ method: 'GET', url: ReporterClient.runPath(runId) });
    return res.status === 404 ? undefined : res.data;
  }

  /** All test records of one attempt (every page). */
  async attemptTests(runId: string, attempt: number): Promise<RemoteTest[]> {
    const out: RemoteTest[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10_000; page++) {
      const res: { data: { data: RemoteTest[]; nextCursor: string | null } } = await this.request({
        method: 'GET',
        url: `${ReporterClient.runPath(runId)}/tests`,
        params: { status: 'all', attempt, limit: 1000, ...(cursor ? { cursor } : {}) },
      });
      out.push(...res.data.data);
      cursor = res.data.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  async failedTests(runId: string): Promise<string[]> {
    const res = await this.request<{ data: string[] }>({
      method: 'GET',
      url: `/failedTests/${encodeURIComponent(runId)}`,
    });
    return res.status === 404 ? [] : res.data.data;
  }

  async reportXml(runId: string): Promise<string | undefined> {
    const res = await this.request<string>({
      method: 'GET',
      url: `${ReporterClient.runPath(runId)}/report.xml`,
      responseType: 'text',
    });
    return res.status === 404 ? undefined : res.data;
  }
}

/** Resolves when `p` does or when `signal` aborts, whichever comes first. */
function abortable(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    p.then(done, done);
  });
}
