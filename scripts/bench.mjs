#!/usr/bin/env node
// `npm run bench`: runs every part's benchmark (`<part>/bench/*.mjs`) one after another, so their timings
// don't disturb each other. Benchmarks print throughput and ratios; they never fail on a number.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv[2]; // optional filter, e.g. `npm run bench -- reporter`
const files = ['core', 'reporter', 'retry-cli']
  .flatMap((part) => {
    try {
      return readdirSync(join(root, part, 'bench'))
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => join(part, 'bench', f));
    } catch {
      return [];
    }
  })
  .filter((f) => !only || f.includes(only));

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, file)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
if (files.length === 0) console.log('no benchmarks found');
process.exit(failed ? 1 : 0);
