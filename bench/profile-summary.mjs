#!/usr/bin/env node
// Summary of V8 CPU profiles (.cpuprofile, from `node --cpu-prof`, which `npm run bench -- --profile DIR`
// passes to every Keymint the workers section starts): per process, how much of the wall time its
// main thread was busy, idle or collecting garbage, and the functions with the most self time.
// Idle main threads under full load mean the process waits on something else (the thread pool's
// signatures, the other core's load generator), which is what decides whether more workers help.
//   node bench/profile-summary.mjs DIR [TOP]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Self time in ms per function ("name url:line"), and the total, for one parsed profile. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = url ? `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${lineNumber + 1}` : functionName;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    times.set(name, (times.get(name) ?? 0) + ms);
    total += ms;
  });
  return { times, total };
}

/** One process's summary: busy/idle/GC shares of its main thread and the top self-time functions. */
export function summarise(profile, top = 12) {
  const { times, total } = selfTimes(profile);
  const share = (name) => (total ? Math.round(((times.get(name) ?? 0) / total) * 1000) / 10 : 0);
  const ranked = [...times].filter(([name]) => !name.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    wallMs: Math.round(total),
    idlePercent: share('(idle)'),
    gcPercent: share('(garbage collector)'),
    busyPercent: Math.round((100 - share('(idle)')) * 10) / 10,
    top: ranked.map(([name, ms]) => ({ name, percent: Math.round((ms / total) * 1000) / 10 })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, top = '12'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node bench/profile-summary.mjs DIR [TOP]');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).sort()) {
    const summary = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')), Number(top));
    console.log(`\n${file}: ${summary.wallMs} ms profiled, main thread busy ${summary.busyPercent} % (GC ${summary.gcPercent} %), idle ${summary.idlePercent} %`);
    for (const { name, percent } of summary.top) console.log(`  ${String(percent).padStart(5)} %  ${name}`);
  }
}
