#!/usr/bin/env node
// npm run bench: Keymint and node-oidc-provider side by side, identical autocannon loads, one run.
//   node bench/run.mjs [--duration S] [--connections N] [--only a,b] [--long N] [--db sqlite|postgres] [--no-write]
// Workloads: client_credentials_jwt, client_credentials_opaque, introspection, envelope, signed_request,
// contacts_jwt, contacts_api_token, jwks, end_user_refresh, workers, verifier (the SDK micro-benchmark, bench/verifier.mjs).
// This file orchestrates: servers up, each workload measured (measure.mjs) with the requests of
// workloads.mjs, servers down, results printed and written (report.mjs).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { keymintCli, keymintEnvironment, PEER_CLIENT, root, rssMb, startKeymint, startPeer, stopProcess } from './lib.mjs';
import { issue, issueBound, seedContacts, workloads } from './workloads.mjs';
import { longRun, machine, measure, refreshLoad, round } from './measure.mjs';
import { printReport, updateDocs } from './report.mjs';

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
const load = { connections, duration, warmup };

function database() {
  if (options.db === 'sqlite') return undefined;
  if (options.db !== 'postgres') throw new Error('--db takes sqlite or postgres');
  const name = `keymint_bench_${Date.now()}`;
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-c', `create database ${name}`], { stdio: 'ignore' });
  return `postgres://postgres@127.0.0.1:5432/${name}`;
}

const results = { startedAt: new Date().toISOString(), machine: machine(), settings: { duration, connections, db: options.db }, workloads: [] };

const { env } = keymintEnvironment(database());
const app = keymintCli(env, 'app', 'create', '--name', 'bench', '--scopes', 'contacts_read,contacts_write');
const opaqueApp = keymintCli(env, 'app', 'create', '--name', 'bench-opaque', '--scopes', 'contacts_read', '--format', 'opaque');
const signedApp = keymintCli(env, 'app', 'create', '--name', 'bench-signed', '--scopes', 'contacts_read', '--auth-methods', 'signed_request');
const apiToken = keymintCli(env, 'token', 'create', '--name', 'bench', '--scopes', 'contacts_read').token;
const keymint = await startKeymint(env);
const peer = await startPeer();
const context = { issuer: keymint.issuer, url: keymint.url, app, opaqueApp, signedApp, apiToken };
try {
  context.jwt = await issue(`${keymint.issuer}/oauth/token`, app.client_id, app.client_secret, { grant_type: 'client_credentials', scope: 'contacts_read contacts_write' });
  context.dpopJwt = await issueBound(`${keymint.issuer}/oauth/token`, app.client_id, app.client_secret, { grant_type: 'client_credentials', scope: 'contacts_read' });
  context.opaqueToken = await issue(`${keymint.issuer}/oauth/token`, opaqueApp.client_id, opaqueApp.client_secret, { grant_type: 'client_credentials' });
  context.peerOpaqueToken = await issue(`${peer.url}/token`, PEER_CLIENT.id, PEER_CLIENT.secret, { grant_type: 'client_credentials', scope: 'contacts_read', resource: 'https://opaque.example.com' });
  await seedContacts(keymint.issuer, context.jwt, 20);
  for (const workload of workloads) {
    if (only && !only.has(workload.name)) continue;
    process.stderr.write(`${workload.title}: Keymint…`);
    const ours = await measure(workload.keymint(context), load);
    let theirs = null;
    if (workload.peer) {
      process.stderr.write(' node-oidc-provider…');
      theirs = await measure(workload.peer({ url: peer.url, peerOpaqueToken: context.peerOpaqueToken }), load);
    }
    process.stderr.write(' done\n');
    results.workloads.push({ name: workload.name, title: workload.title, keymint: ours, peer: theirs, ratio: theirs ? round(ours.requestsPerSecond / theirs.requestsPerSecond) : null });
  }
  results.memory = { keymintRssMb: rssMb(keymint.child.pid), peerRssMb: rssMb(peer.child.pid) };

  const amount = Number(options.long);
  if (amount > 0) {
    process.stderr.write(`long run: ${amount} token requests, RSS every 2 s…\n`);
    results.longRun = await longRun(workloads[0].keymint(context), { connections, amount, pid: keymint.child.pid });
  }
} finally {
  await stopProcess(keymint.child);
  await stopProcess(peer.child);
}

if (!only || only.has('end_user_refresh')) {
  process.stderr.write('end-user refresh (rotating refresh tokens)…');
  const again = await startKeymint(env);
  try {
    results.workloads.push({ name: 'end_user_refresh', title: 'end-user refresh (rotating kmr_)', keymint: await refreshLoad(again.issuer, load), peer: null, ratio: null });
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
    const figures = await measure(workloads[0].keymint({ ...context, issuer: cluster.issuer, url: cluster.url }), load);
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
await stopProcess(again.child);
results.startup = { readyOnExistingDatabaseMs: Math.round(again.readyMs) };

printReport(results);
if (!options['no-write']) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  updateDocs(results);
}
