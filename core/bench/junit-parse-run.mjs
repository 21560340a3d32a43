// One measured pass in a fresh process (so peak RSS is this pass's own), for junit-parse.mjs:
//   node junit-parse-run.mjs <saxes|reader|write|split> <file>
// `split` says where the reader's time goes: each stage alone over the whole file in memory (the
// fastest of 5 rounds, CPU time), so the stages can be compared with each other and with the bare pass.
// Prints one JSON line: { ms (the read, wall clock), cpuMs (its user + system CPU time), maxRssMb,
// results?, writeMs? }. CPU time is printed too because on a shared, loaded machine wall time also
// counts the time other processes held the cores.
import { createReadStream, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { parseJUnit, readJUnitFile, writeMergedJUnit } from '../dist/index.js';
import { JUnitTreeBuilder } from '../dist/junit-sax.js';
import { prepareXml } from '../dist/xml-input.js';

const [mode, path] = process.argv.slice(2);
if (!mode || !path) {
  // scripts/bench.mjs runs every bench/*.mjs: alone, this helper has nothing to measure.
  console.log('junit-parse-run.mjs: one measured pass for junit-parse.mjs (run that one)');
  process.exit(0);
}

/**
 * The floor: bytes streamed through a UTF-8 decoder into saxes with no-op handlers (what the reader
 * must do at least). The decoder is the fastest streaming one Node has (StringDecoder, as the reader
 * uses; a streaming TextDecoder goes through ICU and would make the floor ~35 ms slower).
 */
async function bareSaxes(file) {
  const parser = new SaxesParser({ position: true });
  let elements = 0;
  parser.on('opentag', () => elements++);
  parser.on('text', () => {});
  parser.on('cdata', () => {});
  parser.on('closetag', () => {});
  parser.on('error', (e) => {
    throw e;
  });
  const decoder = new StringDecoder('utf8');
  for await (const chunk of createReadStream(file)) parser.write(decoder.write(chunk));
  parser.write(decoder.end());
  parser.close();
  return elements;
}

/**
 * This process's own peak RSS: VmHWM belongs to the address space made at exec. `resourceUsage().maxRSS`
 * would not do: Linux carries it over from the forked parent (the bench, which holds the generated file).
 */
function peakRssMb() {
  try {
    const kb = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
/**
 * The reader's stages, each alone: the cleaning step (prepareXml), saxes with no-op handlers over the
 * cleaned text, the tree builder (saxes plus the elements the reader keeps, handed over and dropped),
 * the whole parseJUnit, and its garbage-collection pauses. Text is fed in 64 KB chunks as a stream is.
 */
async function split(file) {
  const raw = readFileSync(file, 'utf8');
  const clean = prepareXml(raw, { source: file, maxBytes: Number.POSITIVE_INFINITY });
  const chunks = [];
  for (let i = 0; i < clean.length; i += 65536) chunks.push(clean.slice(i, i + 65536));
  const stages = {
    clean: () => prepareXml(raw, { source: file, maxBytes: Number.POSITIVE_INFINITY }),
    saxes: () => {
      const p = new SaxesParser({ position: true });
      for (const e of ['opentag', 'text', 'cdata', 'closetag']) p.on(e, () => {});
      for (const c of chunks) p.write(c);
      p.close();
    },
    tree: () => {
      const t = new JUnitTreeBuilder({ root() {}, child() {} });
      for (const c of chunks) t.write(c);
      t.end();
    },
    parse: () => parseJUnit(raw),
  };
  const best = {};
  let gcMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of Object.entries(stages)) {
      let paused = 0;
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) paused += e.duration;
      });
      if (name === 'parse') obs.observe({ entryTypes: ['gc'] });
      const c0 = process.cpuUsage();
      run();
      const ms = cpuMs(c0);
      if (name === 'parse') {
        // GC entries are delivered after the fact; the pauses were taken during run() all the same.
        await new Promise((resolve) => setTimeout(resolve, 50));
        obs.disconnect();
        gcMs = Math.min(gcMs, paused);
      }
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ms);
    }
  }
  return { ...best, gcPausesMs: gcMs };
}

const t0 = performance.now();
const c0 = process.cpuUsage();
const out = {};
if (mode === 'split') {
  Object.assign(out, await split(path));
} else if (mode === 'saxes') {
  out.elements = await bareSaxes(path);
  out.cpuMs = cpuMs(c0);
} else {
  const report = await readJUnitFile(path);
  out.ms = performance.now() - t0;
  out.cpuMs = cpuMs(c0);
  out.results = report.results.length;
  // What the results alone keep alive (needs --expose-gc): the part of the peak no reader can avoid.
  globalThis.gc?.();
  out.heapMb = process.memoryUsage().heapUsed / (1024 * 1024);
  out.counts = report.counts;
  if (mode === 'write') {
    const t1 = performance.now();
    const xml = writeMergedJUnit([{ number: 1, results: report.results }], { name: 'bench' });
    out.writeMs = performance.now() - t1;
    out.writtenMb = Buffer.byteLength(xml) / (1024 * 1024);
  }
}
out.ms ??= performance.now() - t0;
out.maxRssMb = peakRssMb();
console.log(JSON.stringify(out));
