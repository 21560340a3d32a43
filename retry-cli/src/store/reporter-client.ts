import type { TestResult } from '@dozhim/core';
// Types only: the schemas (and zod, ~100 ms of startup) are loaded with axios, on the first call.
import type { AttemptPatch, AttemptRecord, RunDetail, RunMeta, TestsPage } from '@dozhim/core/wire';
import type { AxiosError, AxiosInstance, AxiosRequestConfig, CreateAxiosDefaults } from 'axios';
import type { ZodType } from 'zod';

export type { AttemptPatch } from '@dozhim/core/wire';

type Wire = typeof import('@dozhim/core/wire');

/**
 * Client of the reporter's REST API. The contract is `@dozhim/core/wire` (core/src/wire): every
 * request body is typed by it and every answer is parsed with it, so a reporter (or a proxy in
 * front of one) that answers something else is a clear ReporterBadResponseError, never a crash or
 * a silently wrong decision.
 *
 * Every call retries network errors and 5xx/429 with exponential backoff for a bounded time (the
 * budget, DOZHIM_REPORTER_TIMEOUT); past it, ReporterUnavailableError is thrown and the caller goes
 * on in local mode. A reporter outage must never fail the tests.
 */

/** Creates the HTTP client; async so axios is only loaded when a reporter is configured. */
export type HttpFactory = (config: CreateAxiosDefaults) => Promise<AxiosInstance>;

export class ReporterUnavailableError extends Error {
  override readonly name: string = 'ReporterUnavailableError';
}

/**
 * A 2xx answer that is not what the contract says (another service on the port, a proxy's page, a
 * reporter of an incompatible version). Handled like an outage (exit 7 for a query, local mode for
 * a command that runs tests), never taken as data; not retried.
 */
export class ReporterBadResponseError extends ReporterUnavailableError {
  override readonly name: string = 'ReporterBadResponseError';
}

/**
 * Answers that do not fit together: the pages of an attempt disagree with the run detail read just
 * before (the run changed in between, or the paging is broken). Reading the run again may fit.
 */
export class ReporterInconsistentError extends ReporterBadResponseError {
  override readonly name = 'ReporterInconsistentError';
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
/** Rows per page of a listing, and the page cap: 10 million rows, 5x the reporter's default run cap. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 10_000;

export class ReporterClient {
  private axios: Promise<AxiosInstance> | undefined;
  private wire: Promise<Wire> | undefined;
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

  private schemas(): Promise<Wire> {
    this.wire ??= import('@dozhim/core/wire');
    return this.wire;
  }

  static runPath(runId: string): string {
    return `/api/v1/runs/${encodeURIComponent(runId)}`;
  }

  runUrl(runId: string): string {
    return `${this.baseUrl}${ReporterClient.runPath(runId)}`;
  }

  /**
   * One call, retried within the budget (request); its 2xx answer parsed with the contract's schema
   * `pick(wire)`. `data` is undefined only for a read the reporter answered 404 `run_not_found`.
   */
  private async call<T>(
    config: AxiosRequestConfig,
    pick: (wire: Wire) => ZodType<T>,
  ): Promise<{ status: number; data: T | undefined }> {
    const [res, wire] = await Promise.all([this.request(config), this.schemas()]);
    const what = `${config.method ?? 'GET'} ${config.url}`;
    if (res.status === 404) return { status: 404, data: undefined };
    const parsed = pick(wire).safeParse(res.data);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ');
      throw new ReporterBadResponseError(
        `reporter ${this.baseUrl} answered ${what} → ${res.status} with a body that is not the reporter's API (${issues}); is ${this.baseUrl} a dozhim reporter of this version?`,
      );
    }
    return { status: res.status, data: parsed.data };
  }

  private async request(config: AxiosRequestConfig): Promise<{ status: number; data: unknown }> {
    const started = this.options.now();
    let delay = 100;
    let lastProblem = '';
    for (let tries = 1; ; tries++) {
      const remaining = this.options.budgetMs - (this.options.now() - started);
      try {
        const res = await (await this.client()).request<unknown>({
          ...config,
          timeout: Math.max(250, Math.min(remaining, 15_000)),
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
        if (res.status < 500 && res.status !== 429) {
          const body = (await this.schemas()).ErrorResponse.safeParse(res.data);
          const err = body.success ? body.data.error : undefined;
          // 404 is an answer only to a read of a run the reporter does not know (`run_not_found`);
          // any other 404 (a write, an unknown route) means a wrong URL, and taking it for "no such
          // run" or for success would silently lose every result or answer "nothing failed".
          const notFoundRead =
            res.status === 404 &&
            (config.method ?? 'GET').toUpperCase() === 'GET' &&
            err?.code === 'run_not_found';
          if (res.status >= 400 && !notFoundRead) {
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
  async putRun(runId: string, meta: RunMeta): Promise<number> {
    const res = await this.call(
      { method: 'PUT', url: ReporterClient.runPath(runId), data: meta },
      (w) => w.Run,
    );
    return required(res.data, 'PUT run').try;
  }

  /** Starts a new try of the run id (the old attempts become history); returns it and how many it superseded. */
  async newTry(runId: string): Promise<{ try: number; superseded: number }> {
    const res = await this.call(
      { method: 'POST', url: `${ReporterClient.runPath(runId)}/tries` },
      (w) => w.NewTryResponse,
    );
    const body = required(res.data, 'POST tries');
    return { try: body.run.try, superseded: body.superseded };
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
    const { toResultInput } = await this.schemas();
    for (let i = 0; i === 0 || i < results.length; i += UPLOAD_BATCH) {
      const batch = results.slice(i, i + UPLOAD_BATCH).map(toResultInput);
      await this.call(
        {
          method: 'POST',
          url: `${ReporterClient.runPath(runId)}/attempts/${attempt}/results`,
          params: { shard, replace: i === 0, ...(tryNumber ? { try: tryNumber } : {}) },
          data: { results: batch },
        },
        (w) => w.UploadResponse,
      );
    }
  }

  async patchAttempt(
    runId: string,
    attempt: number,
    patch: AttemptPatch,
    tryNumber?: number,
  ): Promise<AttemptRecord> {
    const res = await this.call(
      {
        method: 'PATCH',
        url: `${ReporterClient.runPath(runId)}/attempts/${attempt}`,
        ...(tryNumber ? { params: { try: tryNumber } } : {}),
        data: patch,
      },
      (w) => w.AttemptRecord,
    );
    return required(res.data, `PATCH attempt ${attempt}`);
  }

  /** The run with its attempts, or undefined when the reporter does not know it. */
  async getRun(runId: string): Promise<RunDetail | undefined> {
    return (await this.call({ method: 'GET', url: ReporterClient.runPath(runId) }, (w) => w.RunDetail)).data;
  }

  /**
   * All results of one attempt (every page), as the listing carries them, checked against
   * `expectedIds`: the attempt's `counts.total` in the run detail the caller read (one per test id).
   * The pages are separate requests, not one snapshot: a run deleted, a new try started or a shard
   * uploaded in between would make them empty or partial, and an empty attempt 1 reads as "nothing
   * failed". So any page that does not fit (a 404, a row of another attempt, a repeated cursor or
   * row, no last page within the cap, another number of test ids) is a ReporterInconsistentError,
   * never data.
   */
  async attemptTests(runId: string, attempt: number, expectedIds: number): Promise<TestResult[]> {
    const { resultFromTestRow } = await this.schemas();
    const what = `GET tests of attempt ${attempt} of run ${runId}`;
    const out: TestResult[] = [];
    /** Test id → the shards of its rows so far (almost always one). */
    const shardsOf = new Map<string, string[]>();
    const cursors = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) {
        throw new ReporterInconsistentError(`${what}: no last page after ${MAX_PAGES} pages`);
      }
      const res: { data: TestsPage | undefined } = await this.call(
        {
          method: 'GET',
          url: `${ReporterClient.runPath(runId)}/tests`,
          params: { status: 'all', attempt, limit: PAGE_SIZE, ...(cursor !== null ? { cursor } : {}) },
        },
        (w) => w.TestsPage,
      );
      // The run was just read: a 404 now means it vanished in between.
      if (res.data === undefined) throw new ReporterInconsistentError(`${what}: 404, the run is gone`);
      for (const row of res.data.data) {
        if (row.attempt !== attempt) {
          throw new ReporterInconsistentError(`${what}: a row of attempt ${row.attempt} (${row.id})`);
        }
        // The listing has one row per (test id, shard); the same row twice is a cursor gone wrong.
        const shards = shardsOf.get(row.id);
        if (shards === undefined) shardsOf.set(row.id, [row.shard]);
        else if (shards.includes(row.shard)) {
          throw new ReporterInconsistentError(`${what}: row ${row.id} of shard ${row.shard} listed twice`);
        } else shards.push(row.shard);
        out.push(resultFromTestRow(row));
      }
      cursor = res.data.nextCursor;
      if (cursor === null) break;
      if (cursors.has(cursor)) throw new ReporterInconsistentError(`${what}: cursor ${cursor} repeated`);
      cursors.add(cursor);
    }
    if (shardsOf.size !== expectedIds) {
      throw new ReporterInconsistentError(
        `${what}: the pages list ${shardsOf.size} tests, the run detail ${expectedIds} (the run changed between the reads?)`,
      );
    }
    return out;
  }

  async reportXml(runId: string): Promise<string | undefined> {
    const res = await this.call(
      { method: 'GET', url: `${ReporterClient.runPath(runId)}/report.xml`, responseType: 'text' },
      // The merged report is XML text, not JSON: a string that starts like an XML document.
      (w) => w.MergedReportXml,
    );
    return res.data;
  }
}

/** A 404 where the call cannot answer "not found" (a write, a page of a run just listed). */
function required<T>(data: T | undefined, what: string): T {
  if (data === undefined) throw new ReporterBadResponseError(`reporter answered ${what} with 404`);
  return data;
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
