// Entry of the parse worker thread: parses uploads so a big XML file never blocks the HTTP thread.

import { parentPort } from 'node:worker_threads';
import { JUnitParseError } from '@dozhim/core';
import { errorToData, type ParseRequest, parseUpload } from './junit-parser.js';

parentPort!.on('message', (msg: { id: number; req: ParseRequest }) => {
  try {
    parentPort!.postMessage({ id: msg.id, results: parseUpload(msg.req) });
  } catch (e) {
    if (e instanceof JUnitParseError) parentPort!.postMessage({ id: msg.id, parseError: errorToData(e) });
    else parentPort!.postMessage({ id: msg.id, failure: (e as Error)?.stack ?? String(e) });
  }
});
