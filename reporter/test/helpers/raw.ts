import { type ClientRequest, type IncomingMessage, request } from 'node:http';

/** What a hand-driven upload came to: a response, or the socket closed without one. */
export interface RawOutcome {
  status?: number;
  body: string;
  headers: IncomingMessage['headers'];
  /** ms from the request start to the response (or to the close). */
  ms: number;
  closedWithoutResponse: boolean;
}

export interface RawUpload {
  req: ClientRequest;
  /** Settles when a response arrived (read to the end) or the socket closed without one. */
  outcome: Promise<RawOutcome>;
}

/**
 * Starts a POST whose body the test writes by hand (slow clients, abandoned uploads), optionally
 * from another loopback source address (127.0.0.2 is another "client" for the server).
 */
export function rawUpload(
  base: string,
  path: string,
  headers: Record<string, string | number>,
  options: { localAddress?: string; method?: string } = {},
): RawUpload {
  const { port, hostname } = new URL(base);
  const start = Date.now();
  const req = request({
    host: hostname,
    port,
    method: options.method ?? 'POST',
    path,
    headers,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const outcome = new Promise<RawOutcome>((resolve) => {
    let done = false;
    const finish = (o: RawOutcome) => {
      if (!done) {
        done = true;
        resolve(o);
      }
    };
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      const end = () =>
        finish({
          status: res.statusCode,
          body,
          headers: res.headers,
          ms: Date.now() - start,
          closedWithoutResponse: false,
        });
      res.on('end', end);
      res.on('error', end);
      res.on('close', end);
    });
    const closed = () =>
      // A response may still be parsed just after the close: give it a tick to win.
      setImmediate(() =>
        finish({ body: '', headers: {}, ms: Date.now() - start, closedWithoutResponse: true }),
      );
    req.on('error', closed);
    req.on('close', closed);
  });
  return { req, outcome };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
