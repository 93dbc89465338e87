// Rendering: the side-by-side table on stdout and the results section of docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';

function table(data) {
  const rows = [
    ['workload', 'Keymint req/s', 'p50 ms', 'p99 ms', 'errors', 'peer req/s', 'p50 ms', 'p99 ms', 'errors', 'Keymint ÷ peer'],
    ...data.workloads.map((w) => [
      w.title,
      String(w.keymint.requestsPerSecond), String(w.keymint.p50), String(w.keymint.p99), String(w.keymint.errors + w.keymint.non2xx),
      w.peer ? String(w.peer.requestsPerSecond) : '—', w.peer ? String(w.peer.p50) : '—', w.peer ? String(w.peer.p99) : '—',
      w.peer ? String(w.peer.errors + w.peer.non2xx) : '—',
      w.ratio === null ? '—' : `${w.ratio}×`,
    ]),
  ];
  return rows;
}

export function printReport(data) {
  const rows = table(data);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n'));
  console.log(`\nRSS after the loads: Keymint ${data.memory.keymintRssMb} MB, node-oidc-provider ${data.memory.peerRssMb} MB`);
  console.log(`ready on an existing database: ${data.startup.readyOnExistingDatabaseMs} ms (spawn to listening, includes Node start-up)`);
  if (data.workers) console.log(`--workers 2: ${data.workers.requestsPerSecond} tokens/s, p99 ${data.workers.p99} ms${data.workers.ratioToOneProcess ? ` (${data.workers.ratioToOneProcess}× one process)` : ''}`);
  if (data.verifier) console.log(`SDK verifier: cached ${data.verifier.cached}/s, uncached ${data.verifier.uncached_sequential}/s sequential, ${data.verifier.uncached_concurrent}/s with 1000 in flight`);
  if (data.longRun) console.log(`long run: ${data.longRun.requests} requests, ${data.longRun.requestsPerSecond} req/s, RSS ${data.longRun.rssMinMb}–${data.longRun.rssMaxMb} MB (drift ${data.longRun.rssDriftPercent} %)`);
}

/** The results as the Markdown that docs/benchmarks.md shows between its bench:results markers. */
export function resultsMarkdown(data) {
  const rows = table(data);
  return [
    `Run ${data.startedAt} on ${data.machine.cpus} × ${data.machine.cpuModel}, ${data.machine.memoryGb} GiB, Node ${data.machine.node}; ${data.settings.connections} connections, ${data.settings.duration} s per load after a warm-up, database ${data.settings.db}.`,
    '',
    `| ${rows[0].join(' | ')} |`,
    `|${rows[0].map(() => '---').join('|')}|`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
    '',
    `RSS after the loads: Keymint ${data.memory.keymintRssMb} MB, node-oidc-provider ${data.memory.peerRssMb} MB. Ready on an existing database: ${data.startup.readyOnExistingDatabaseMs} ms.`,
    ...(data.workers ? ['', `\`serve --workers 2\`: ${data.workers.requestsPerSecond} JWT tokens/s, p99 ${data.workers.p99} ms${data.workers.ratioToOneProcess ? `, ${data.workers.ratioToOneProcess}× one process (both servers and autocannon share 2 cores)` : ''}.`] : []),
    ...(data.verifier ? ['', `SDK verifier (in process): cached ${data.verifier.cached} verifications/s; uncached ${data.verifier.uncached_sequential}/s one at a time, ${data.verifier.uncached_concurrent}/s with 1000 in flight.`] : []),
    ...(data.longRun ? ['', `Long run: ${data.longRun.requests} token requests at ${data.longRun.requestsPerSecond} req/s, ${data.longRun.errors + data.longRun.non2xx} failures, RSS ${data.longRun.rssMinMb}–${data.longRun.rssMaxMb} MB after warm-up (drift ${data.longRun.rssDriftPercent} %).`] : []),
  ].join('\n');
}

/** `text` with what stands between the bench:results markers replaced by `markdown`. */
export function replaceResults(text, markdown) {
  return text.replace(/<!-- bench:results:start -->[\s\S]*<!-- bench:results:end -->/, `<!-- bench:results:start -->\n${markdown}\n<!-- bench:results:end -->`);
}

/** Rewrites the results section of docs/benchmarks.md; the rest of the page is left as written. */
export function updateDocs(data) {
  const path = join(root, 'docs/benchmarks.md');
  writeFileSync(path, replaceResults(readFileSync(path, 'utf8'), resultsMarkdown(data)));
}
