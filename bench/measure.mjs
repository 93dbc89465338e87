// Measurement: autocannon loads with a warm-up, the closed-loop end-user refresh load, the long
// run with RSS samples, and the machine the figures come from. Every load is bounded in time or count.
import { cpus, totalmem } from 'node:os';
import { closedLoopLoad, cpuSeconds, load, rssMb } from './lib.mjs';

/**
 * A load after a warm-up of the same shape, so JIT and caches are warm when figures are taken.
 * `generator` is 'autocannon' (in this process) or 'closed-loop' (closed-loop.mjs, a child
 * process, on `cpus` if given). With `pid`, the figures include serverCpuPercent: the CPU the
 * server process and its workers used during the measured window, in % of one core (200 = both
 * cores of this machine), which is what tells whether a server is CPU-bound.
 */
export async function measure(request, { connections, duration, warmup }, { pid, generator = 'autocannon', cpus } = {}) {
  if (generator === 'closed-loop') {
    // One child for warm-up and measurement: the server's CPU is sampled from the child's "measuring" to its answer.
    let before = 0;
    let startedAt = 0;
    const figures = await closedLoopLoad(request, { connections, duration, warmup, cpus, onMeasuring: () => {
      before = pid ? cpuSeconds(pid) : 0;
      startedAt = performance.now();
    } });
    if (!pid) return figures;
    return { ...figures, serverCpuPercent: Math.round(((cpuSeconds(pid) - before) / ((performance.now() - startedAt) / 1000)) * 100) };
  }
  if (warmup > 0) await load(request, { connections, duration: warmup });
  return withServerCpu(pid, duration, () => load(request, { connections, duration }));
}

/**
 * Keymint measured before and after what `between` measures (the peer, or the row a ratio
 * compares it with), the two runs combined: on a machine whose speed drifts within minutes (this
 * one varies 2x within ten minutes), a linear drift then weighs on both sides of a ratio alike.
 * requests/s and CPU are the mean of the two runs, p50 and p99 the worse, counts the sum;
 * `runs` keeps each run's requests/s.
 */
export async function bracketed(measureOurs, between) {
  const before = await measureOurs();
  const others = await between();
  const after = await measureOurs();
  return { ours: combineRuns(before, after), others };
}

/** Two measurements of the same load as one (see bracketed). */
export function combineRuns(a, b) {
  const mean = (key) => (a[key] === undefined ? undefined : Math.round((a[key] + b[key]) / 2));
  return {
    requestsPerSecond: mean('requestsPerSecond'),
    p50: Math.max(a.p50, b.p50),
    p99: Math.max(a.p99, b.p99),
    errors: a.errors + b.errors,
    non2xx: a.non2xx + b.non2xx,
    total: a.total + b.total,
    serverCpuPercent: mean('serverCpuPercent'),
    generatorCpuPercent: mean('generatorCpuPercent'),
    runs: [a.requestsPerSecond, b.requestsPerSecond],
  };
}

async function withServerCpu(pid, duration, run) {
  const before = pid ? cpuSeconds(pid) : 0;
  const startedAt = performance.now();
  const figures = await run();
  if (!pid) return figures;
  const seconds = (performance.now() - startedAt) / 1000;
  return { ...figures, serverCpuPercent: Math.round(((cpuSeconds(pid) - before) / seconds) * 100) };
}

/**
 * End-user refresh: sessions whose refresh tokens rotate on every use, driven by autocannon like
 * every other row (a fetch-based loop cost more CPU than the server on this 2-core machine and
 * measured itself). Each request takes a live refresh token from a pool and each answer puts its
 * successor back, so every token is spent exactly once: a closed loop over twice as many sessions
 * as connections (a connection has one request in flight, so the pool never runs dry; a failed
 * refresh retires its session).
 */
export async function refreshRequest(issuer, connections) {
  const signUp = async (i) => {
    const response = await fetch(`${issuer}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench${i}-${Date.now()}@example.com`, password: 'bench-password-123' }),
    });
    if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    return (await response.json()).refresh_token;
  };
  const live = await Promise.all(Array.from({ length: connections * 2 }, (_, i) => signUp(i)));
  const request = {
    url: `${issuer}/auth/refresh`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // autocannon resets a connection's context after each request of a one-request sequence, so the pool is shared.
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: live.shift() }) }),
    onResponse: (status, body) => {
      if (status === 200) live.push(JSON.parse(body).refresh_token);
    },
  };
  return request;
}

/**
 * `amount` requests with the process's RSS sampled every 2 s: memory must settle, not grow.
 * `request` may be a `{ sequence }` mix (lib.mjs load()), as the long run of run.mjs is.
 */
export async function longRun(request, { connections, amount, pid }) {
  // A sample at the start and one at the end as well, so a run shorter than 2 s still has figures.
  const samples = [rssMb(pid)];
  const sampler = setInterval(() => samples.push(rssMb(pid)), 2000);
  const figures = await load(request, { connections, amount });
  clearInterval(sampler);
  samples.push(rssMb(pid));
  const settled = samples.slice(Math.floor(samples.length / 5));
  return {
    requests: amount,
    ...figures,
    rssSamplesMb: samples,
    rssMinMb: Math.min(...settled),
    rssMaxMb: Math.max(...settled),
    rssDriftPercent: settled.length ? round(((Math.max(...settled) - Math.min(...settled)) / Math.min(...settled)) * 100) : null,
  };
}

export function round(value) {
  return Math.round(value * 100) / 100;
}

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
}
