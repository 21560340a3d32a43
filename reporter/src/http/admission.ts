import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SerialQueue } from '../serial.js';
import { ApiError } from './errors.js';

export interface AdmissionLimits {
  /** Uploads being received or waiting for the queue at once (bounds memory: each holds a body). */
  maxQueuedUploads: number;
  /** Of those, how many one remote address may hold, so one source cannot take every slot. */
  maxUploadsPerClient: number;
}

/**
 * Default per-client share: all slots but an eighth (at least one) kept for other addresses, so
 * one source can never hold every slot (28 of 32: a CI job uploading 20 shards at once still fits).
 * With a single slot there is nothing to share and the one client may take it.
 */
export const defaultPerClient = (maxQueuedUploads: number): number =>
  Math.max(1, maxQueuedUploads - Math.max(1, Math.ceil(maxQueuedUploads / 8)));

/** Seconds to suggest in Retry-After for `busy`: 1 s, plus 1 s per 8 uploads ahead, at most 30. */
export const busyRetryAfter = (ahead: number): number => Math.min(30, 1 + Math.floor(ahead / 8));

/** What an admitted upload may do: its store step runs in the upload queue unless it was cancelled. */
export interface Ticket {
  /** Aborted when the client went away or the drain deadline passed: do no more work. */
  signal: AbortSignal;
  /** Runs the step in the serial upload queue, skipping it when the ticket is aborted by then. */
  queued<T>(task: () => Promise<T> | T): Promise<T>;
}

interface Entry {
  started: boolean;
  fail: (e: ApiError) => void;
  controller: AbortController;
}

/**
 * Admission of uploads. Rules (see reporter/SECURITY.md):
 * - at most maxQueuedUploads are received or queued at once, and at most maxUploadsPerClient per
 *   remote address (the socket's address: behind a proxy every client shares one, so set the
 *   share to the total there); more get 503 `busy` with the number ahead and Retry-After;
 * - a client that goes away frees its slot at once, and its parse/insert is skipped;
 * - while stopping, new uploads get 503 `shutting_down`; at the drain deadline the ones that have
 *   not started storing get 503 `shutting_down` instead of a reset.
 */
export class Admission {
  private readonly perClient = new Map<string, number>();
  private readonly entries = new Set<Entry>();
  private stopping = false;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly queue: SerialQueue,
  ) {}

  get inFlight(): number {
    return this.entries.size;
  }

  async admit<T>(req: IncomingMessage, res: ServerResponse, work: (t: Ticket) => Promise<T>): Promise<T> {
    const client = req.socket.remoteAddress ?? 'unknown';
    const mine = this.perClient.get(client) ?? 0;
    if (this.stopping) throw refuse(res, shuttingDown());
    const total = this.entries.size;
    if (total >= this.limits.maxQueuedUploads || mine >= this.limits.maxUploadsPerClient) {
      const perClient = total < this.limits.maxQueuedUploads;
      const message = perClient
        ? `this client already holds ${mine} of its ${this.limits.maxUploadsPerClient} upload slots; retry later`
        : `${total} uploads are already being received or queued; retry later`;
      const ahead = perClient ? mine : total;
      throw refuse(
        res,
        new ApiError(
          503,
          'busy',
          message,
          {
            limit: this.limits.maxQueuedUploads,
            perClientLimit: this.limits.maxUploadsPerClient,
            inFlight: total,
            clientInFlight: mine,
            ahead,
            rule: perClient ? 'per_client' : 'total',
          },
          busyRetryAfter(ahead),
        ),
      );
    }

    const controller = new AbortController();
    let fail!: (e: ApiError) => void;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const entry: Entry = { started: false, fail, controller };
    this.entries.add(entry);
    this.perClient.set(client, mine + 1);
    const gone = () => {
      if (!res.writableFinished) {
        controller.abort();
        fail(new ApiError(499, 'client_closed', 'the client closed the connection'));
      }
    };
    res.once('close', gone);
    const ticket: Ticket = {
      signal: controller.signal,
      queued: (task) =>
        this.queue.run(() => {
          if (controller.signal.aborted) throw new ApiError(499, 'cancelled', 'the upload was cancelled');
          entry.started = true;
          return task();
        }),
    };
    const done = work(ticket);
    // The work may settle after the race is lost (cancelled); its outcome is then nobody's.
    done.catch(() => undefined);
    try {
      return await Promise.race([done, failed]);
    } finally {
      res.off('close', gone);
      this.entries.delete(entry);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    }
  }

  /** Stop signal: refuse new uploads from now on. */
  stop(): void {
    this.stopping = true;
  }

  /** Drain deadline: answer every upload that has not started storing with 503 `shutting_down`. */
  expire(): number {
    let n = 0;
    for (const e of this.entries) {
      if (e.started) continue;
      e.controller.abort();
      e.fail(shuttingDown());
      n++;
    }
    return n;
  }
}

const shuttingDown = (): ApiError =>
  new ApiError(
    503,
    'shutting_down',
    'the reporter is shutting down; retry against the next instance',
    undefined,
    5,
  );

/** The body is not (or no longer) read: close the connection after the answer. */
function refuse(res: ServerResponse, error: ApiError): ApiError {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  return error;
}
