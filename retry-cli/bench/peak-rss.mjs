// Preloaded into the measured `dozhim run` (node --import): on exit, writes this process's peak RSS
// (VmHWM, its own address space; the test commands it spawns are not counted) to $DOZHIM_BENCH_RSS_FILE.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const kb = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (process.env.DOZHIM_BENCH_RSS_FILE && kb) writeFileSync(process.env.DOZHIM_BENCH_RSS_FILE, kb);
});
