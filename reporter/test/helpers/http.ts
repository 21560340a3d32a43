/** Thin fetch wrappers for the tests: every call returns status, parsed JSON (or text) and headers. */
// biome-ignore lint/suspicious/noExplicitAny: bodies of many shapes, checked with expect() rather than typed per endpoint
type AnyJson = any;

export interface Reply<T = AnyJson> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function call<T = AnyJson>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: AnyJson = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, body, text, headers: res.headers };
}

export const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const xml = (body: string | Uint8Array, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/xml', ...headers },
  body,
});

/** URL path of a run, with its id encoded (ids may contain `/`). */
export const runPath = (base: string, runId: string): string =>
  `${base}/api/v1/runs/${encodeURIComponent(runId)}`;
export const junitUrl = (base: string, runId: string, attempt: number | string, shard?: string): string =>
  `${runPath(base, runId)}/attempts/${attempt}/junit${shard === undefined ? '' : `?shard=${encodeURIComponent(shard)}`}`;
