// Shared pieces of the benchmark: starting servers as child processes, driving autocannon,
// sampling memory. Every target is on 127.0.0.1 and every run is bounded in time or count.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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

/** Spawns a process and resolves once a line of its output matches `ready`. */
export function startProcess(command, args, { env = {}, ready, timeoutMs = 30_000 }) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function startKeymint(env, extraArgs = []) {
  const port = await freePort();
  const started = await startProcess(process.execPath, [keymintBin, 'serve', '--port', String(port), ...extraArgs], {
    env,
    ready: /Keymint is listening/,
  });
  return { ...started, url: `http://127.0.0.1:${port}`, issuer: `http://127.0.0.1:${port}/t/default` };
}

export async function startPeer() {
  const port = await freePort();
  const started = await startProcess(process.execPath, [join(root, 'bench/peers/oidc-provider.mjs'), String(port)], { ready: /^ready$/m });
  return { ...started, url: `http://127.0.0.1:${port}` };
}

export const PEER_CLIENT = { id: 'bench-client', secret: 'bench-secret-bench-secret-bench-secret' };

export function basicAuth(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** One autocannon run; returns the figures the report prints. */
export async function load(request, { connections, duration, amount }) {
  const { setupRequest, onResponse, ...fixed } = request;
  const result = await autocannon({
    ...fixed,
    // autocannon rebuilds a request per send only for entries of `requests` with setupRequest.
    ...(setupRequest ? { requests: [{ method: fixed.method, headers: fixed.headers, body: fixed.body, setupRequest, onResponse }] } : {}),
    connections,
    ...(amount ? { amount } : { duration }),
    timeout: 10,
  });
  return {
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
