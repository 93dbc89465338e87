#!/usr/bin/env node
// The second load generator: a closed loop over keep-alive connections. `concurrency` loops each
// hold one connection; a loop sends its next request only when the previous answer has arrived,
// so the offered load follows the server's pace (autocannon pipelines nothing either, but it
// drives its sockets itself; this one goes through node:http, the way a Node client would).
// A second generator shows the ratios are not an artefact of autocannon.
//   node bench/closed-loop.mjs '{"url":…,"method":…,"headers":{…},"body":…}' CONCURRENCY SECONDS [WARMUP]
// prints one JSON line with the figures (the same shape as lib.mjs load()), after "measuring" on
// stderr when the warm-up is over. Run as a child process
// so it can be pinned to its own core with taskset (see the workers section of run.mjs).
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

/** One request and its answer; resolves with the status (0 on a socket error) once the body is read. */
function send(agent, target, spec) {
  return new Promise((resolve) => {
    const request = httpRequest(
      { agent, hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: spec.method ?? 'GET', headers: spec.headers },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve(response.statusCode));
        response.on('error', () => resolve(0));
      },
    );
    request.setTimeout(10_000, () => request.destroy());
    request.on('error', () => resolve(0));
    request.end(spec.body);
  });
}

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sorted, fraction) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/**
 * Runs `concurrency` closed loops for `duration` seconds against one request spec
 * ({ url, method, headers, body }). Latencies in ms to 0.1 ms (autocannon rounds to whole ms,
 * too coarse for sub-millisecond answers); requests/s over the measured window; errors = socket
 * errors and timeouts, non2xx = answers outside 2xx.
 */
export async function closedLoop(spec, { concurrency, duration }) {
  const target = new URL(spec.url);
  const headers = { ...spec.headers };
  if (spec.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  const cpuBefore = process.cpuUsage();
  let errors = 0;
  let non2xx = 0;
  const start = performance.now();
  const end = start + duration * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      const status = await send(agent, target, { ...spec, headers });
      latencies.push(performance.now() - sentAt);
      if (status === 0) errors++;
      else if (status < 200 || status > 299) non2xx++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  const oneDecimal = (ms) => Math.round(ms * 10) / 10;
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50: oneDecimal(percentile(sorted, 0.5)),
    p99: oneDecimal(percentile(sorted, 0.99)),
    errors,
    non2xx,
    total: latencies.length,
    // The generator's own CPU in % of one core: a generator near 100 % measures itself.
    generatorCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [spec, concurrency = '50', seconds = '10', warmup = '0'] = process.argv.slice(2);
  const request = JSON.parse(spec);
  if (Number(warmup) > 0) await closedLoop(request, { concurrency: Number(concurrency), duration: Number(warmup) });
  // The parent samples the server's CPU from here (lib.mjs closedLoopLoad).
  console.error('measuring');
  console.log(JSON.stringify(await closedLoop(request, { concurrency: Number(concurrency), duration: Number(seconds) })));
}
