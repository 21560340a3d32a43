// Preloaded into a measured `dozhim run` (node --import): on exit, writes this process's peak RSS
// (VmHWM, its own address space) and its own CPU time (user + system) as JSON to
// $DOZHIM_BENCH_RSS_FILE. The test commands it spawns are counted in neither.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const kb = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const cpu = process.cpuUsage();
  if (process.env.DOZHIM_BENCH_RSS_FILE) {
    writeFileSync(
      process.env.DOZHIM_BENCH_RSS_FILE,
      JSON.stringify({ rssMb: Number(kb) / 1024, cpuMs: (cpu.user + cpu.system) / 1000 }),
    );
  }
});
