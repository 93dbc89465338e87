#!/usr/bin/env node
// npm run bench: Keymint and node-oidc-provider side by side, identical autocannon loads, one run.
//   node bench/run.mjs [--duration S] [--connections N] [--only a,b] [--long N] [--db sqlite|postgres] [--no-write]
// Workloads: client_credentials_jwt, client_credentials_opaque, introspection, envelope, signed_request,
// contacts_jwt, contacts_api_token, jwks, end_user_refresh, workers, verifier (the SDK micro-benchmark, bench/verifier.mjs).
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import {
  basicAuth, keymintCli, keymintEnvironment, load, PEER_CLIENT, root, rssMb, startKeymint, startPeer, stopProcess,
} from './lib.mjs';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    long: { type: 'string', default: '0' },
    db: { type: 'string', default: 'sqlite' },
    'no-write': { type: 'boolean', default: false },
    'warmup': { type: 'string', default: '2' },
  },
});
const duration = Number(options.duration);
const connections = Number(options.connections);
const warmup = Number(options.warmup);
const only = options.only ? new Set(options.only.split(',')) : null;

function database() {
  if (options.db === 'sqlite') return undefined;
  if (options.db !== 'postgres') throw new Error('--db takes sqlite or postgres');
  const name = `keymint_bench_${Date.now()}`;
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-c', `create database ${name}`], { stdio: 'ignore' });
  return `postgres://postgres@127.0.0.1:5432/${name}`;
}

const form = (fields) => new URLSearchParams(fields).toString();
const formHeaders = (extra = {}) => ({ 'content-type': 'application/x-www-form-urlencoded', ...extra });

/**
 * Each workload prepares one request per server. `peer` is absent where node-oidc-provider has no
 * equivalent; those rows report Keymint alone.
 */
const workloads = [
  {
    name: 'client_credentials_jwt',
    title: 'client credentials → ES256 JWT',
    keymint: ({ issuer, app }) => ({
      url: `${issuer}/oauth/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(app.client_id, app.client_secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
    peer: ({ url }) => ({
      url: `${url}/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
  },
  {
    name: 'client_credentials_opaque',
    title: 'client credentials → opaque token',
    keymint: ({ issuer, opaqueApp }) => ({
      url: `${issuer}/oauth/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(opaqueApp.client_id, opaqueApp.client_secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
    peer: ({ url }) => ({
      url: `${url}/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read', resource: 'https://opaque.example.com' }),
    }),
  },
  {
    name: 'introspection',
    title: 'introspection of an opaque token',
    keymint: ({ issuer, app, opaqueToken }) => ({
      url: `${issuer}/oauth/introspect`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(app.client_id, app.client_secret) }),
      body: form({ token: opaqueToken }),
    }),
    peer: ({ url, peerOpaqueToken }) => ({
      url: `${url}/token/introspection`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ token: peerOpaqueToken }),
    }),
  },
  {
    name: 'envelope',
    title: 'envelope profile /v1/auth/token',
    keymint: ({ issuer, app }) => ({
      url: `${issuer}/v1/auth/token`,
      method: 'POST',
      headers: formHeaders(),
      body: form({ client_id: app.client_id, client_secret: app.client_secret }),
    }),
  },
  {
    name: 'signed_request',
    title: 'signed request /v3/tokens (HMAC)',
    keymint: ({ issuer, signedApp }) => {
      // Every request signs a fresh value: a replayed one would be refused. Each body has the
      // same length, so the first one also sets the Content-Length autocannon sends.
      const signedBody = () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const value = randomBytes(18).toString('base64url');
        const signature = createHmac('sha256', signedApp.client_secret).update(`${value}.${value.length}.${timestamp}`).digest('hex');
        return JSON.stringify({ client_id: signedApp.client_id, audience: `${issuer}/api`, timestamp, signature_value: value, signature });
      };
      return {
        url: `${issuer}/v3/tokens`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: signedBody(),
        setupRequest: (request) => ({ ...request, body: signedBody() }),
      };
    },
  },
  {
    name: 'contacts_jwt',
    title: 'GET /api/v1/contacts with a JWT',
    keymint: ({ issuer, jwt }) => ({ url: `${issuer}/api/v1/contacts`, headers: { authorization: `Bearer ${jwt}` } }),
  },
  {
    name: 'contacts_api_token',
    title: 'GET /api/v1/contacts with an API token',
    keymint: ({ issuer, apiToken }) => ({ url: `${issuer}/api/v1/contacts`, headers: { authorization: `Bearer ${apiToken}` } }),
  },
  {
    name: 'jwks',
    title: 'JWKS document',
    keymint: ({ issuer }) => ({ url: `${issuer}/.well-known/jwks.json` }),
    peer: ({ url }) => ({ url: `${url}/jwks` }),
  },
];

async function measure(request) {
  if (warmup > 0) await load(request, { connections, duration: warmup });
  return load(request, { connections, duration });
}

const results = { startedAt: new Date().toISOString(), machine: machine(), settings: { duration, connections, db: options.db }, workloads: [] };

const { env } = keymintEnvironment(database());
const app = keymintCli(env, 'app', 'create', '--name', 'bench', '--scopes', 'contacts_read,contacts_write');
const opaqueApp = keymintCli(env, 'app', 'create', '--name', 'bench-opaque', '--scopes', 'contacts_read', '--format', 'opaque');
const signedApp = keymintCli(env, 'app', 'create', '--name', 'bench-signed', '--scopes', 'contacts_read', '--auth-methods', 'signed_request');
const apiToken = keymintCli(env, 'token', 'create', '--name', 'bench', '--scopes', 'contacts_read').token;
const keymint = await startKeymint(env);
const restarted = { readyMs: null };
const peer = await startPeer();
const context = { issuer: keymint.issuer, url: keymint.url, app, opaqueApp, signedApp, apiToken };
try {
  context.jwt = await issue(`${keymint.issuer}/oauth/token`, app.client_id, app.client_secret, { grant_type: 'client_credentials', scope: 'contacts_read contacts_write' });
  context.opaqueToken = await issue(`${keymint.issuer}/oauth/token`, opaqueApp.client_id, opaqueApp.client_secret, { grant_type: 'client_credentials' });
  context.peerOpaqueToken = await issue(`${peer.url}/token`, PEER_CLIENT.id, PEER_CLIENT.secret, { grant_type: 'client_credentials', scope: 'contacts_read', resource: 'https://opaque.example.com' });
  await seedContacts(keymint.issuer, context.jwt, 20);
  for (const workload of workloads) {
    if (only && !only.has(workload.name)) continue;
    process.stderr.write(`${workload.title}: Keymint…`);
    const ours = await measure(workload.keymint(context));
    let theirs = null;
    if (workload.peer) {
      process.stderr.write(' node-oidc-provider…');
      theirs = await measure(workload.peer({ url: peer.url, peerOpaqueToken: context.peerOpaqueToken }));
    }
    process.stderr.write(' done\n');
    results.workloads.push({ name: workload.name, title: workload.title, keymint: ours, peer: theirs, ratio: theirs ? round(ours.requestsPerSecond / theirs.requestsPerSecond) : null });
  }
  results.memory = { keymintRssMb: rssMb(keymint.child.pid), peerRssMb: rssMb(peer.child.pid) };

  const longRun = Number(options.long);
  if (longRun > 0) {
    process.stderr.write(`long run: ${longRun} token requests, RSS every 2 s…\n`);
    const samples = [];
    const sampler = setInterval(() => samples.push(rssMb(keymint.child.pid)), 2000);
    const figures = await load(workloads[0].keymint(context), { connections, amount: longRun });
    clearInterval(sampler);
    const settled = samples.slice(Math.floor(samples.length / 5));
    results.longRun = {
      requests: longRun,
      ...figures,
      rssSamplesMb: samples,
      rssMinMb: Math.min(...settled),
      rssMaxMb: Math.max(...settled),
      rssDriftPercent: settled.length ? round(((Math.max(...settled) - Math.min(...settled)) / Math.min(...settled)) * 100) : null,
    };
  }
} finally {
  await stopProcess(keymint.child);
  await stopProcess(peer.child);
}

// End-user refresh: each connection owns a session and spends its refresh token for the next
// one (tokens rotate on every use), so this is a closed loop rather than an autocannon run.
if (!only || only.has('end_user_refresh')) {
  process.stderr.write('end-user refresh (rotating refresh tokens)…');
  const again = await startKeymint(env);
  try {
    results.workloads.push({ name: 'end_user_refresh', title: 'end-user refresh (rotating kmr_)', keymint: await refreshLoad(again.issuer), peer: null, ratio: null });
  } finally {
    await stopProcess(again.child);
  }
  process.stderr.write(' done\n');
}

// Scaling: the JWT workload against `serve --workers 2`, compared with the one-process figure above.
if (!only || only.has('workers')) {
  process.stderr.write('client credentials with --workers 2…');
  const cluster = await startKeymint(env, ['--workers', '2']);
  try {
    const figures = await measure(workloads[0].keymint({ ...context, issuer: cluster.issuer, url: cluster.url }));
    const single = results.workloads.find((w) => w.name === 'client_credentials_jwt')?.keymint;
    results.workers = { workers: 2, ...figures, ratioToOneProcess: single ? round(figures.requestsPerSecond / single.requestsPerSecond) : null };
  } finally {
    await stopProcess(cluster.child);
  }
  process.stderr.write(' done\n');
}

// SDK verifier micro-benchmark (in process, keys supplied locally): its last line is JSON.
if (!only || only.has('verifier')) {
  process.stderr.write('SDK verifier micro-benchmark…\n');
  const output = execFileSync(process.execPath, [join(root, 'bench/verifier.mjs'), String(Math.max(1, Math.min(duration, 5)))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  results.verifier = JSON.parse(output.trim().split('\n').at(-1));
}

// Start-up on an existing database: the second start, timed from spawn to "listening".
const again = await startKeymint(env);
restarted.readyMs = Math.round(again.readyMs);
await stopProcess(again.child);
results.startup = { readyOnExistingDatabaseMs: restarted.readyMs };

printReport(results);
if (!options['no-write']) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  updateDocs(results);
}

async function issue(url, id, secret, fields) {
  const response = await fetch(url, { method: 'POST', headers: formHeaders({ authorization: basicAuth(id, secret) }), body: form(fields) });
  if (!response.ok) throw new Error(`token request to ${url} failed: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}

async function refreshLoad(issuer) {
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

async function seedContacts(issuer, jwt, count) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${issuer}/api/v1/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `person${i}@example.com`, name: `Person ${i}`, tags: ['bench'] }),
    });
    if (response.status !== 201) throw new Error(`seeding contacts failed: ${response.status}`);
  }
}

function round(value) {
  return Math.round(value * 100) / 100;
}

function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
}

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

function printReport(data) {
  const rows = table(data);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n'));
  console.log(`\nRSS after the loads: Keymint ${data.memory.keymintRssMb} MB, node-oidc-provider ${data.memory.peerRssMb} MB`);
  console.log(`ready on an existing database: ${data.startup.readyOnExistingDatabaseMs} ms (spawn to listening, includes Node start-up)`);
  if (data.workers) console.log(`--workers 2: ${data.workers.requestsPerSecond} tokens/s, p99 ${data.workers.p99} ms${data.workers.ratioToOneProcess ? ` (${data.workers.ratioToOneProcess}× one process)` : ''}`);
  if (data.verifier) console.log(`SDK verifier: cached ${data.verifier.cached}/s, uncached ${data.verifier.uncached_sequential}/s sequential, ${data.verifier.uncached_concurrent}/s with 1000 in flight`);
  if (data.longRun) console.log(`long run: ${data.longRun.requests} requests, ${data.longRun.requestsPerSecond} req/s, RSS ${data.longRun.rssMinMb}–${data.longRun.rssMaxMb} MB (drift ${data.longRun.rssDriftPercent} %)`);
}

function updateDocs(data) {
  const path = join(root, 'docs/benchmarks.md');
  const rows = table(data);
  const markdown = [
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
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replace(/<!-- bench:results:start -->[\s\S]*<!-- bench:results:end -->/, `<!-- bench:results:start -->\n${markdown}\n<!-- bench:results:end -->`));
}
