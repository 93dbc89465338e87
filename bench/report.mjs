// Rendering: the side-by-side tables and the goals on stdout, and the results section of docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';
import { allMet, evaluateGoals } from './goals.mjs';

const failed = (figures) => String(figures.errors + figures.non2xx);

function table(data) {
  return [
    ['workload', 'Keymint req/s', 'p50 ms', 'p99 ms', 'errors', 'peer req/s', 'p50 ms', 'p99 ms', 'errors', 'Keymint ÷ peer'],
    ...data.workloads.map((w) => [
      w.title,
      String(w.keymint.requestsPerSecond), String(w.keymint.p50), String(w.keymint.p99), failed(w.keymint),
      w.peer ? String(w.peer.requestsPerSecond) : '—', w.peer ? String(w.peer.p50) : '—', w.peer ? String(w.peer.p99) : '—',
      w.peer ? failed(w.peer) : '—',
      w.ratio === null ? '—' : `${w.ratio}×${w.peerVariant && w.peerVariant !== 'es256' ? ` (peer ${w.peerVariant})` : ''}`,
    ]),
  ];
}

/** Every node-oidc-provider JWT setup the JWT row was measured against (autocannon), the least favourable marked. */
function peerTable(data) {
  const jwt = data.workloads.find((w) => w.name === 'client_credentials_jwt' && w.peerVariants);
  if (!jwt) return null;
  return [
    ['node-oidc-provider JWT setup', 'peer req/s', 'p50 ms', 'p99 ms', 'errors', 'Keymint ÷ setup'],
    ...jwt.peerVariants.map((v) => [
      `${v.variant}: ${v.title}${v.variant === jwt.peerVariant ? ' (least favourable: the base)' : ''}`,
      String(v.figures.requestsPerSecond), String(v.figures.p50), String(v.figures.p99), failed(v.figures), `${v.ratio}×`,
    ]),
  ];
}

function postgresTable(data) {
  if (!data.postgres?.workloads?.length) return null;
  return [
    ['workload on PostgreSQL', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'SQLite req/s', 'PostgreSQL ÷ SQLite', 'path'],
    ...data.postgres.workloads.map((w) => [
      w.title, String(w.keymint.requestsPerSecond), String(w.keymint.p50), String(w.keymint.p99), failed(w.keymint),
      w.sqlite ? String(w.sqlite.requestsPerSecond) : '—', w.ratioToSqlite === null ? '—' : `${w.ratioToSqlite}×`, w.cached ? 'cached' : 'writes',
    ]),
  ];
}

function goalsTable(goals) {
  return [['goal', 'figure', 'met'], ...goals.map((g) => [g.goal, g.figure, g.met])];
}

/** The reasons behind 'explained' verdicts, one line each. */
function goalNotes(goals) {
  return goals.filter((g) => g.note).map((g) => `${g.goal.replace(/ ≥.*/, '')}: ${g.note}.`);
}

/**
 * CPU use during a load in % of one core (200 % = both cores of a 2-core machine), and under
 * --profile the busy share of each server process's main thread (primary first; a cluster
 * primary only hands connections over).
 */
const cpu = (figures) => [
  figures.serverCpuPercent === undefined ? '' : `, server CPU ${figures.serverCpuPercent} %`,
  figures.generatorCpuPercent === undefined ? '' : `, generator CPU ${figures.generatorCpuPercent} %`,
  figures.profiles ? `, main threads busy ${figures.profiles.map((p) => `${p.busyPercent} %`).join(' / ')}` : '',
].join('');

function workersLines(data) {
  const w = data.workers;
  if (!w) return [];
  const lines = [`\`serve --workers 2\`: ${w.requestsPerSecond} JWT tokens/s, p99 ${w.p99} ms${cpu(w)}${w.ratioToOneProcess ? `; one process ${w.oneProcess.requestsPerSecond}/s${cpu(w.oneProcess)}: ${w.ratioToOneProcess}× (servers and autocannon share the cores)` : ''}.`];
  const p = w.pinned;
  if (p?.skipped) lines.push(`Pinned experiment skipped: ${p.skipped}.`);
  else if (p) lines.push(`Pinned (server on core ${p.serverCpus}, closed-loop generator on core ${p.generatorCpus}): one process ${p.oneProcess.requestsPerSecond}/s (p99 ${p.oneProcess.p99} ms${cpu(p.oneProcess)}), \`--workers 2\` on the same core ${p.twoWorkers.requestsPerSecond}/s (p99 ${p.twoWorkers.p99} ms${cpu(p.twoWorkers)}): ${p.ratio}×.`);
  if (p?.projection) lines.push(`Projection with the generator on cores of its own: R₁ = ${p.projection.perCore} tokens/s per server core, so at most ≈ ${p.projection.cores4}/s with --workers 4 on 4 server cores and ≈ ${p.projection.cores8}/s with 8 (an upper bound, see "Workers and cores").`);
  return lines;
}

function otherLines(data) {
  return [
    ...(data.memory ? [`RSS after the loads: Keymint ${data.memory.keymintRssMb} MB, node-oidc-provider ${data.memory.peerRssMb} MB.`] : []),
    ...(data.startup ? [`Ready on an existing database: ${data.startup.readyOnExistingDatabaseMs} ms (spawn to listening, includes Node start-up).`] : []),
    ...(data.postgres?.skipped ? [`PostgreSQL rows skipped: ${data.postgres.skipped}.`] : []),
    ...workersLines(data),
    ...(data.verifier ? [`SDK verifier (in process): cached ${data.verifier.cached} verifications/s; uncached ${data.verifier.uncached_sequential}/s one at a time, ${data.verifier.uncached_concurrent}/s with 1000 in flight.`] : []),
    ...(data.longRun ? [`Long run: ${data.longRun.requests} mixed requests (${data.longRun.mix ?? 'token requests'}) at ${data.longRun.requestsPerSecond} req/s, ${data.longRun.errors + data.longRun.non2xx} failures, RSS ${data.longRun.rssMinMb}–${data.longRun.rssMaxMb} MB after warm-up (drift ${data.longRun.rssDriftPercent} %).`] : []),
  ];
}

function plain(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

function markdown(rows) {
  return [`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function printReport(data) {
  console.log(plain(table(data)));
  for (const extra of [peerTable(data), postgresTable(data)]) if (extra) console.log(`\n${plain(extra)}`);
  console.log(`\n${otherLines(data).join('\n')}`);
  const goals = evaluateGoals(data);
  console.log(`\n${plain(goalsTable(goals))}`);
  for (const note of goalNotes(goals)) console.log(`  explained: ${note}`);
  console.log(`\nall goals met in this run: ${allMet(goals) ? 'yes' : 'no'}`);
}

/** The results as the Markdown that docs/benchmarks.md shows between its bench:results markers. */
export function resultsMarkdown(data) {
  const goals = evaluateGoals(data);
  return [
    `Run ${data.startedAt} on ${data.machine.cpus} × ${data.machine.cpuModel}, ${data.machine.memoryGb} GiB, Node ${data.machine.node}; ${data.settings.connections} connections, ${data.settings.duration} s per load after a warm-up, database ${data.settings.db}.`,
    '',
    `Goals (issues 19, 20, 22), all met in this run: ${allMet(goals) ? 'yes' : 'no'}.`,
    '',
    markdown(goalsTable(goals)),
    ...goalNotes(goals).flatMap((note) => ['', `Explained: ${note}`]),
    '',
    markdown(table(data)),
    ...[peerTable(data), postgresTable(data)].filter(Boolean).flatMap((rows) => ['', markdown(rows)]),
    '',
    ...otherLines(data).flatMap((line, i) => (i ? ['', line] : [line])),
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
