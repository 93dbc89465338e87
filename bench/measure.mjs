// Measurement: autocannon loads with a warm-up, the closed-loop end-user refresh load, the long
// run with RSS samples, and the machine the figures come from. Every load is bounded in time or count.
import { cpus, totalmem } from 'node:os';
import { load, rssMb } from './lib.mjs';

/** A load after a warm-up of the same shape, so JIT and caches are warm when figures are taken. */
export async function measure(request, { connections, duration, warmup }) {
  if (warmup > 0) await load(request, { connections, duration: warmup });
  return load(request, { connections, duration });
}

/**
 * End-user refresh: each connection owns a session and spends its refresh token for the next one
 * (tokens rotate on every use), so this is a closed loop rather than an autocannon run.
 */
export async function refreshLoad(issuer, { connections, duration, warmup }) {
  const signUp = async (i) => {
    const response = await fetch(`${issuer}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench${i}-${Date.now()}@example.com`, password: 'bench-password-123' }),
    });
    if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    return (await response.json()).refresh_token;
  };
  const tokens = await Promise.all(Array.from({ length: connections }, (_, i) => signUp(i)));
  const latencies = [];
  let errors = 0;
  const run = async (deadline) => {
    await Promise.all(tokens.map(async (_, slot) => {
      while (Date.now() < deadline) {
        const started = performance.now();
        const response = await fetch(`${issuer}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: tokens[slot] }) });
        const body = await response.json();
        if (response.status !== 200) {
          errors += 1;
          tokens[slot] = await signUp(`r${slot}-${errors}`);
          continue;
        }
        tokens[slot] = body.refresh_token;
        latencies.push(performance.now() - started);
      }
    }));
  };
  if (warmup > 0) await run(Date.now() + warmup * 1000);
  latencies.length = 0;
  const started = Date.now();
  await run(started + duration * 1000);
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { requestsPerSecond: Math.round(latencies.length / elapsed), p50: at(0.5), p99: at(0.99), errors, non2xx: 0, total: latencies.length };
}

/** `amount` requests with the process's RSS sampled every 2 s: memory must settle, not grow. */
export async function longRun(request, { connections, amount, pid }) {
  const samples = [];
  const sampler = setInterval(() => samples.push(rssMb(pid)), 2000);
  const figures = await load(request, { connections, amount });
  clearInterval(sampler);
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
