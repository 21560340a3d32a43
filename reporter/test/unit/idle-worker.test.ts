import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { IdleWorker, type WorkerReply } from '../../src/idle-worker.js';

// A worker that echoes {id, n: n * 2}, dies on {die: true}.
const SCRIPT = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.die) process.exit(3);
  parentPort.postMessage(m.fail ? { id: m.id, failure: 'boom' } : { id: m.id, n: m.n * 2 });
});`;

type Reply = WorkerReply & { n?: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(idleMs: () => number, busy?: () => boolean) {
  const exits: number[] = [];
  let started = 0;
  const w = new IdleWorker<Reply>(
    'test worker',
    () => {
      started++;
      const worker = new Worker(SCRIPT, { eval: true });
      worker.on('exit', (code) => exits.push(code));
      return worker;
    },
    { idleMs, ...(busy ? { busy } : {}) },
  );
  const ask = (n: number) => {
    const id = w.id();
    return w.request(id, { id, n });
  };
  return { w, ask, exits, started: () => started };
}

describe('IdleWorker', () => {
  it('starts on first use, answers by id, stops after its idle time and starts again when asked', async () => {
    const h = harness(() => 100);
    expect(h.started()).toBe(0);
    const [a, b] = await Promise.all([h.ask(2), h.ask(5)]);
    expect([a.n, b.n]).toEqual([4, 10]);
    expect(h.started()).toBe(1);
    await sleep(1_000);
    expect(h.exits).toHaveLength(1);
    expect((await h.ask(7)).n).toBe(14);
    expect(h.started()).toBe(2);
    await h.w.close();
  });

  it('stays while the idle time is long, and while busy() says a caller needs it', async () => {
    let idle = 60_000;
    let busy = false;
    const h = harness(
      () => idle,
      () => busy,
    );
    await h.ask(1);
    await sleep(300);
    expect(h.exits).toHaveLength(0);
    // Asked again at the next idle: now short, but a caller holds its state.
    idle = 50;
    busy = true;
    await h.ask(1);
    await sleep(400);
    expect(h.exits).toHaveLength(0);
    busy = false;
    h.w.release();
    await sleep(1_000);
    expect(h.exits).toHaveLength(1);
  });

  it('rejects a failed request, and every pending one when the worker dies; the next starts afresh', async () => {
    const h = harness(() => 60_000);
    const id = h.w.id();
    await expect(h.w.request(id, { id, fail: true })).rejects.toThrow('test worker failed: boom');
    const pending = h.ask(1);
    const dying = h.w.id();
    const died = h.w.request(dying, { id: dying, die: true });
    await expect(died).rejects.toThrow(/test worker exited with code 3/);
    // The echo of 1 may have been answered before the exit; either way it settles.
    await pending.catch(() => undefined);
    expect((await h.ask(4)).n).toBe(8);
    expect(h.started()).toBe(2);
    await h.w.close();
  });

  it('a request made while the idle worker is stopping goes to a fresh one and is answered', async () => {
    // The race: the idle timer terminates the worker; its 'exit' arrives later, after the next
    // request already started a fresh worker. That exit must fail only the old worker's requests.
    let next: Promise<Reply> | undefined;
    let ask: (n: number) => Promise<Reply> = async () => ({ id: 0 });
    const w = new IdleWorker<Reply>(
      'test worker',
      () => {
        const worker = new Worker(SCRIPT, { eval: true });
        const terminate = worker.terminate.bind(worker);
        worker.terminate = () => {
          const done = terminate();
          next ??= ask(21);
          return done;
        };
        return worker;
      },
      { idleMs: () => 50 },
    );
    ask = (n: number) => {
      const id = w.id();
      return w.request(id, { id, n });
    };
    expect((await ask(1)).n).toBe(2);
    for (let i = 0; i < 100 && !next; i++) await sleep(20);
    expect(next, 'the idle stop happened').toBeDefined();
    expect((await next!).n).toBe(42);
    await w.close();
  });
});
