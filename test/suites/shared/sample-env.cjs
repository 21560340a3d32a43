// Environment contract shared by the JavaScript sample suites (see ../README.md).
// CommonJS on purpose: jest loads it without an ESM transform, ESM suites import it natively.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const stateDir = () => process.env.SAMPLE_STATE_DIR || '';

/** Appends `key` to $SAMPLE_STATE_DIR/ran.log: one O_APPEND write per line, so parallel workers never interleave. */
function ran(key) {
  const dir = stateDir();
  if (dir) fs.appendFileSync(path.join(dir, 'ran.log'), `${key}\n`, { flag: 'a' });
}

/**
 * True when a flaky test must fail: the first run per state dir. The marker is created with O_EXCL,
 * so exactly one run (even among parallel workers) sees it missing.
 */
function firstRun(key) {
  const dir = stateDir();
  if (!dir) return false;
  try {
    fs.writeFileSync(path.join(dir, `flaky-${key}.marker`), '', { flag: 'wx' });
    return true;
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  }
}

const failRequested = () => process.env.SAMPLE_FAIL === '1';
const errorRequested = () => process.env.SAMPLE_ERROR === '1';

module.exports = { ran, firstRun, failRequested, errorRequested };
