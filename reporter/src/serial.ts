import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Runs tasks one at a time, in arrival order. Uploads go through one of these: parsing and inserting
 * are CPU-bound and synchronous, so twenty parallel uploads would otherwise form one long burst;
 * queued, each runs alone and the event loop is yielded between (and inside) them, so reads that
 * arrive meanwhile are served between uploads instead of after all of them.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(async () => {
      await yieldToLoop();
      return task();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
