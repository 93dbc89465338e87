#!/usr/bin/env node
// Load test of the Contacts API (not part of npm test):
//   npm run build && node bench/contacts-load.mjs [seconds] [connections]
// Starts `keymint serve` on 127.0.0.1 with a temporary data folder, creates an app with the CLI,
// gets a JWT, seeds 20 contacts, then runs autocannon (default 50 connections, 10 s) against
// GET /t/default/api/v1/contacts. Loopback only; it stops the server and removes the folder itself.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const seconds = Math.min(Number(process.argv[2] ?? 10), 30);
const connections = Number(process.argv[3] ?? 50);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'packages/cli/bin/keymint.js');
const dataDir = mkdtempSync(join(tmpdir(), 'keymint-bench-'));
// Request logging at info costs two log lines per request; production runs usually log at warn or ship logs async.
const env = { ...process.env, KEYMINT_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', KEYMINT_LOG_LEVEL: process.env.KEYMINT_LOG_LEVEL ?? 'warn' };

// BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const serverArgs = process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
const server = spawn(process.execPath, [...serverArgs, cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const stop = () => {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
};
const watchdog = setTimeout(() => {
  console.error('benchmark took too long: stopping');
  stop();
  process.exit(1);
}, (seconds + 60) * 1000);

try {
  const base = await new Promise((resolve, reject) => {
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const issuer = `${base}/t/default`;
  const app = JSON.parse(execFileSync(process.execPath, [cli, 'app', 'create', '--name', 'bench', '--scopes', 'contacts_read,contacts_write', '--json'], { env }).toString());
  const tokenResponse = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'contacts_read contacts_write', client_id: app.client_id, client_secret: app.client_secret }),
  });
  const { access_token: token } = await tokenResponse.json();
  if (!token) throw new Error(`no token: HTTP ${tokenResponse.status}`);
  for (let i = 0; i < 20; i++) {
    const created = await fetch(`${issuer}/api/v1/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `person${i}@bench.example`, name: `Person ${i}`, tags: ['bench'] }),
    });
    if (created.status !== 201) throw new Error(`seeding failed: HTTP ${created.status}`);
  }

  const result = await autocannon({
    url: `${issuer}/api/v1/contacts`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  const summary = {
    requests_per_second: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99 },
    total: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    connections,
    seconds,
    target_rps: 8_000,
  };
  console.log(JSON.stringify(summary));
} finally {
  clearTimeout(watchdog);
  stop();
}
