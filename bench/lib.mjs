// Shared pieces of the benchmark: starting servers as child processes, driving autocannon,
// sampling memory. Every target is on 127.0.0.1 and every run is bounded in time or count.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

export const root = new URL('..', import.meta.url).pathname;
const keymintBin = join(root, 'packages/cli/bin/keymint.js');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `command args` run on the given CPUs only (`taskset -c cpus`, util-linux), or as it is without
 * `cpus`. taskset execs the command, so the pid is the command's and its children inherit the pinning.
 */
export function pinned(command, args, cpus) {
  return cpus === undefined ? [command, args] : ['taskset', ['-c', String(cpus), command, ...args]];
}

/** Spawns a process and resolves once a line of its output matches `ready`. */
export function startProcess(command, args, { env = {}, ready, timeoutMs = 30_000, cpus }) {
  const child = spawn(...pinned(command, args, cpus), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const startedAt = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} not ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, readyMs: Number(process.hrtime.bigint() - startedAt) / 1e6, output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

export function stopProcess(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** A Keymint data folder with environment for the server and CLI. */
export function keymintEnvironment(database) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keymint-bench-'));
  // The refresh load signs up one end user per connection, all from 127.0.0.1: past the default
  // sign-up budget per address (10 per 10 min) the load would measure 429s instead of refreshes.
  const env = { KEYMINT_DATA_DIR: dataDir, KEYMINT_LOG_LEVEL: 'warn', KEYMINT_SIGNUPS_PER_ADDRESS: '1000000' };
  if (database) env.KEYMINT_DATABASE_URL = database;
  return { dataDir, env };
}

export function keymintCli(env, ...args) {
  return JSON.parse(execFileSync(process.execPath, [keymintBin, ...args, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }));
}

/**
 * `keymint serve` on a free port. `cpus` pins it (taskset); `nodeArgs` go to node itself (e.g.
 * --cpu-prof, which NODE_OPTIONS refuses; cluster workers inherit them through execArgv).
 */
export async function startKeymint(env, extraArgs = [], { cpus, nodeArgs = [] } = {}) {
  const port = await freePort();
  const started = await startProcess(process.execPath, [...nodeArgs, keymintBin, 'serve', '--port', String(port), ...extraArgs], {
    env,
    ready: /Keymint is listening/,
    cpus,
  });
  return { ...started, url: `http://127.0.0.1:${port}`, issuer: `http://127.0.0.1:${port}/t/default` };
}

/**
 * The documented ways node-oidc-provider issues JWT access tokens that the peer script can run
 * (bench/peers/oidc-provider.mjs explains each). es256 is Keymint's own algorithm and the one the
 * opaque, introspection and JWKS rows use.
 */
export const PEER_VARIANTS = {
  es256: 'ES256 (P-256 key)',
  eddsa: 'EdDSA (Ed25519 key)',
  rs256: 'RS256, the provider default (RSA 2048)',
  hs256: 'HS256 (symmetric key)',
};

export async function startPeer(variant = 'es256') {
  const port = await freePort();
  const started = await startProcess(process.execPath, [join(root, 'bench/peers/oidc-provider.mjs'), String(port), variant], { ready: /^ready$/m });
  return { ...started, url: `http://127.0.0.1:${port}`, variant };
}

export const PEER_CLIENT = { id: 'bench-client', secret: 'bench-secret-bench-secret-bench-secret' };

export function basicAuth(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/**
 * One autocannon run; returns the figures the report prints. `request` is one request, or
 * `{ sequence: [request, …] }` for a mix: each connection sends the sequence's requests in turn
 * (all to the first request's host; each entry keeps its own path, headers and body).
 */
export async function load(request, { connections, duration, amount }) {
  // autocannon calls setupRequest/onResponse when the keys exist, even undefined: only defined ones are passed.
  const entry = ({ url, ...rest }) => Object.fromEntries(Object.entries({ path: url ? new URL(url).pathname : undefined, ...rest }).filter(([, value]) => value !== undefined));
  let options;
  if (request.sequence) {
    options = { url: request.sequence[0].url, requests: request.sequence.map(entry) };
  } else {
    const { setupRequest, onResponse, ...fixed } = request;
    // autocannon rebuilds a request per send only for entries of `requests` with setupRequest.
    options = { ...fixed, ...(setupRequest ? { requests: [{ method: fixed.method, headers: fixed.headers, body: fixed.body, setupRequest, onResponse }] } : {}) };
  }
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await autocannon({
    ...options,
    connections,
    ...(amount ? { amount } : { duration }),
    timeout: 10,
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    // autocannon runs in this process: its CPU in % of one core (near 100 %, it measures itself).
    generatorCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / ((performance.now() - startedAt) / 1000)) * 100),
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

/** Resident set size of a process in MB, from /proc. */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * The closed-loop generator (closed-loop.mjs) as a child process, optionally pinned to `cpus`:
 * same figures as load(). The warm-up runs in the same child, so its JIT is warm when the figures
 * are taken; `onMeasuring` is called when the measured window starts (the child says so on stderr).
 * Only fixed requests (no setupRequest): the spec crosses a process boundary.
 */
export function closedLoopLoad(request, { connections, duration, warmup = 0, cpus, onMeasuring }) {
  const { url, method, headers, body } = request;
  const [command, args] = pinned(process.execPath, [join(root, 'bench/closed-loop.mjs'), JSON.stringify({ url, method, headers, body }), String(connections), String(duration), String(warmup)], cpus);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), (duration + warmup + 60) * 1000);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/^measuring$/m.test(stderr) && onMeasuring) {
        onMeasuring();
        onMeasuring = undefined;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      else reject(new Error(`closed-loop generator exited with ${code}:\n${stderr}`));
    });
  });
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) used so far by a process and all its descendants (cluster workers), from /proc. */
export function cpuSeconds(pid) {
  let ticks = 0;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks = Number(fields[11]) + Number(fields[12]);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : []) ticks += cpuSeconds(Number(child)) * TICKS_PER_SECOND;
    }
  } catch {
    // The process (or a worker) has exited: it counts for what was read.
  }
  return ticks / TICKS_PER_SECOND;
}
