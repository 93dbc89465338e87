#!/usr/bin/env node
// npm run bench: Keymint and node-oidc-provider side by side, identical loads, one run, and the
// goals of issues 19, 20 and 22 judged on that run (goals.mjs).
//   node bench/run.mjs [--duration S] [--warmup S] [--connections N] [--only a,b] [--peer all|es256|eddsa|rs256|hs256]
//                      [--long N] [--db sqlite|postgres] [--no-postgres] [--profile DIR] [--no-write]
// --profile DIR: every Keymint of the workers section runs under node --cpu-prof, one folder per
// run under DIR (bench/profile-summary.mjs reads them; the report gives each process's busy share).
// Workloads: client_credentials_jwt (against every peer setup of --peer, autocannon and the closed
// loop), client_credentials_opaque, introspection, envelope, signed_request, client_credentials_dpop,
// contacts_dpop, contacts_jwt, contacts_api_token, verify_api_token, jwks, end_user_refresh,
// postgres (JWT, opaque, introspection, refresh on a throwaway PostgreSQL database), workers,
// verifier (the SDK micro-benchmark, bench/verifier.mjs).
// This file orchestrates: servers up, each workload measured (measure.mjs) with the requests of
// workloads.mjs, servers down, results printed and written (report.mjs).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus as cpuList } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { keymintCli, keymintEnvironment, PEER_CLIENT, PEER_VARIANTS, root, rssMb, startKeymint, startPeer, stopProcess } from './lib.mjs';
import { issue, issueBound, seedContacts, workloads } from './workloads.mjs';
import { bracketed, combineRuns, longRun, machine, measure, refreshRequest, round } from './measure.mjs';
import { printReport, updateDocs } from './report.mjs';
import { POSTGRES_PATHS } from './goals.mjs';
import { summarise } from './profile-summary.mjs';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    peer: { type: 'string', default: 'all' },
    long: { type: 'string', default: '0' },
    db: { type: 'string', default: 'sqlite' },
    'no-postgres': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'warmup': { type: 'string', default: '2' },
  },
});
const duration = Number(options.duration);
const connections = Number(options.connections);
const warmup = Number(options.warmup);
const only = options.only ? new Set(options.only.split(',')) : null;
const wanted = (name) => !only || only.has(name);
const load = { connections, duration, warmup };
const peerVariants = options.peer === 'all' ? Object.keys(PEER_VARIANTS) : options.peer.split(',');
for (const variant of peerVariants) if (!PEER_VARIANTS[variant]) throw new Error(`--peer takes all or one of ${Object.keys(PEER_VARIANTS).join(', ')}`);
const progress = (text) => process.stderr.write(text);

const psql = (database, sql) => execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'ignore', timeout: 10_000 });

/** A throwaway PostgreSQL database (created from the trust-auth `test` database), or null when PostgreSQL does not answer. */
function createDatabase() {
  const name = `keymint_bench_${Date.now()}`;
  try {
    psql('test', `create database ${name}`);
  } catch {
    return null;
  }
  return { name, url: `postgres://postgres@127.0.0.1:5432/${name}`, drop: () => psql('test', `drop database if exists ${name} with (force)`) };
}

/** The apps and API token the workloads need, on a fresh Keymint data folder or database. */
function provision(env) {
  return {
    app: keymintCli(env, 'app', 'create', '--name', 'bench', '--scopes', 'contacts_read,contacts_write'),
    opaqueApp: keymintCli(env, 'app', 'create', '--name', 'bench-opaque', '--scopes', 'contacts_read', '--format', 'opaque'),
    signedApp: keymintCli(env, 'app', 'create', '--name', 'bench-signed', '--scopes', 'contacts_read', '--auth-methods', 'signed_request'),
    apiToken: keymintCli(env, 'token', 'create', '--name', 'bench', '--scopes', 'contacts_read').token,
  };
}

const workload = (name) => workloads.find((w) => w.name === name);
/** Client-credentials JWT issuance: its own row, and the yardstick that other rows are measured against. */
const jwtWorkload = workload('client_credentials_jwt');
/** Rows whose goal is a fraction of JWT issuance (goals.mjs): JWT issuance is measured around them. */
const RELATIVE_TO_JWT = new Set(['signed_request']);
const results = { startedAt: new Date().toISOString(), machine: machine(), settings: { duration, warmup, connections, db: options.db, peerVariants }, workloads: [] };

const mainDatabase = options.db === 'postgres' ? createDatabase() : null;
if (options.db === 'postgres' && !mainDatabase) throw new Error('--db postgres: PostgreSQL does not answer at 127.0.0.1:5432');
if (options.db !== 'sqlite' && options.db !== 'postgres') throw new Error('--db takes sqlite or postgres');
// Dropped however the run ends (drop is synchronous, so it can run at exit).
process.once('exit', () => mainDatabase?.drop());
const { env } = keymintEnvironment(mainDatabase?.url);
// Provisioned through the CLI before the server starts, as an operator would.
const provisioned = provision(env);
const keymint = await startKeymint(env);
const context = { issuer: keymint.issuer, url: keymint.url, ...provisioned };
const peers = { es256: await startPeer('es256') };
const server = { pid: keymint.child.pid };
try {
  const { app, opaqueApp } = context;
  context.jwt = await issue(`${keymint.issuer}/oauth/token`, app.client_id, app.client_secret, { grant_type: 'client_credentials', scope: 'contacts_read contacts_write' });
  context.dpopJwt = await issueBound(`${keymint.issuer}/oauth/token`, app.client_id, app.client_secret, { grant_type: 'client_credentials', scope: 'contacts_read' });
  context.opaqueToken = await issue(`${keymint.issuer}/oauth/token`, opaqueApp.client_id, opaqueApp.client_secret, { grant_type: 'client_credentials' });
  context.peerOpaqueToken = await issue(`${peers.es256.url}/token`, PEER_CLIENT.id, PEER_CLIENT.secret, { grant_type: 'client_credentials', scope: 'contacts_read', resource: 'https://opaque.example.com' });
  await seedContacts(keymint.issuer, context.jwt, 20);
  for (const w of workloads) {
    if (!wanted(w.name)) continue;
    progress(`${w.title}: Keymint…`);
    const ours = () => measure(w.keymint(context), load, server);
    if (w.name === 'client_credentials_jwt') {
      results.workloads.push(...(await jwtRows(w, ours)));
    } else if (w.peer) {
      // Keymint before and after the peer (measure.mjs bracketed).
      const { ours: figures, others: theirs } = await bracketed(ours, () => {
        progress(' node-oidc-provider… Keymint again…');
        return measure(w.peer({ url: peers.es256.url, peerOpaqueToken: context.peerOpaqueToken }), load, { pid: peers.es256.child.pid });
      });
      results.workloads.push({ name: w.name, title: w.title, keymint: figures, peer: theirs, ratio: round(figures.requestsPerSecond / theirs.requestsPerSecond) });
    } else if (RELATIVE_TO_JWT.has(w.name)) {
      // Its goal is a fraction of JWT issuance: JWT issuance measured before and after it.
      const { ours: jwtAround, others: figures } = await bracketed(() => measure(jwtWorkload.keymint(context), load, server), ours);
      results.workloads.push({ name: w.name, title: w.title, keymint: figures, peer: null, ratio: null, jwtAround });
    } else {
      results.workloads.push({ name: w.name, title: w.title, keymint: await ours(), peer: null, ratio: null });
    }
    progress(' done\n');
  }
  results.memory = { keymintRssMb: rssMb(keymint.child.pid), peerRssMb: rssMb(peers.es256.child.pid) };

  const amount = Number(options.long);
  if (amount > 0) {
    progress(`long run: ${amount} mixed requests (token, refresh, verify, contacts), RSS every 2 s…\n`);
    const mix = { sequence: [jwtWorkload.keymint(context), await refreshRequest(keymint.issuer, connections), workload('verify_api_token').keymint(context), workload('contacts_jwt').keymint(context)] };
    results.longRun = { mix: 'client credentials JWT, end-user refresh (rotating), verify API, contacts list (in turn on each connection)', ...(await longRun(mix, { connections, amount, pid: keymint.child.pid })) };
  }
} finally {
  await stopProcess(keymint.child);
  for (const peer of Object.values(peers)) await stopProcess(peer.child);
}

/**
 * The JWT rows: Keymint against every peer setup of --peer with autocannon, the setup least
 * favourable to Keymint (the lowest ratio) as the base, then Keymint and that setup again with the
 * closed loop. Keymint is measured between every two setups, so each setup's ratio rests on the
 * Keymint runs just before and after it (measure.mjs bracketed): 10 s apart, not 40.
 */
async function jwtRows(w, ours) {
  let previous = await ours();
  const variants = [];
  for (const variant of peerVariants) {
    progress(` node-oidc-provider ${variant}… Keymint again…`);
    peers[variant] ??= await startPeer(variant);
    const figures = await measure(w.peer({ url: peers[variant].url }), load, { pid: peers[variant].child.pid });
    const next = await ours();
    const keymint = combineRuns(previous, next);
    variants.push({ variant, title: PEER_VARIANTS[variant], figures, keymint, ratio: round(keymint.requestsPerSecond / figures.requestsPerSecond) });
    previous = next;
  }
  const quotientOf = (v) => v.keymint.requestsPerSecond / v.figures.requestsPerSecond;
  const base = variants.reduce((a, b) => (quotientOf(b) < quotientOf(a) ? b : a));
  // Only the base setup is loaded again (closed loop) and es256 serves the other rows.
  for (const other of Object.keys(peers)) if (other !== 'es256' && other !== base.variant) {
    await stopProcess(peers[other].child);
    delete peers[other];
  }
  progress(` closed loop: Keymint…`);
  const { ours: oursClosed, others: theirsClosed } = await bracketed(() => measure(w.keymint(context), load, { ...server, generator: 'closed-loop' }), () => {
    progress(` node-oidc-provider ${base.variant}… Keymint again…`);
    return measure(w.peer({ url: peers[base.variant].url }), load, { pid: peers[base.variant].child.pid, generator: 'closed-loop' });
  });
  return [
    { name: w.name, title: w.title, generator: 'autocannon', keymint: base.keymint, peer: base.figures, peerVariant: base.variant, peerVariants: variants, ratio: base.ratio },
    { name: `${w.name}_closed_loop`, title: `${w.title}, closed loop`, generator: 'closed-loop', keymint: oursClosed, peer: theirsClosed, peerVariant: base.variant, ratio: round(oursClosed.requestsPerSecond / theirsClosed.requestsPerSecond) },
  ];
}

if (wanted('end_user_refresh')) {
  progress('end-user refresh (rotating refresh tokens)…');
  const again = await startKeymint(env);
  try {
    // JWT issuance on the same server before and after the refresh load, for the refresh goal.
    const around = { ...context, issuer: again.issuer, url: again.url };
    const refreshing = await refreshRequest(again.issuer, connections);
    const { ours: jwtAround, others: figures } = await bracketed(
      () => measure(jwtWorkload.keymint(around), load, { pid: again.child.pid }),
      () => measure(refreshing, load, { pid: again.child.pid }),
    );
    results.workloads.push({ name: 'end_user_refresh', title: 'end-user refresh (rotating kmr_)', keymint: figures, peer: null, ratio: null, jwtAround });
  } finally {
    await stopProcess(again.child);
  }
  progress(' done\n');
}
// PostgreSQL rows: the same paths on a second Keymint over a throwaway database, beside their SQLite figures.
if (wanted('postgres') && options.db === 'sqlite') {
  if (options['no-postgres']) results.postgres = { skipped: '--no-postgres' };
  else results.postgres = await postgresRows();
}

async function postgresRows() {
  const database = createDatabase();
  if (!database) return { skipped: 'PostgreSQL does not answer at 127.0.0.1:5432' };
  const rows = [];
  try {
    const { env: pgEnv } = keymintEnvironment(database.url);
    const pgContext = provision(pgEnv);
    const pg = await startKeymint(pgEnv);
    let sqliteServer;
    try {
      // The SQLite side of each ratio is measured again around its PostgreSQL row (measure.mjs
      // bracketed), on the SQLite data of the rows above: the figures above are minutes old by now.
      sqliteServer = await startKeymint(env);
      Object.assign(pgContext, { issuer: pg.issuer, url: pg.url });
      pgContext.opaqueToken = await issue(`${pg.issuer}/oauth/token`, pgContext.opaqueApp.client_id, pgContext.opaqueApp.client_secret, { grant_type: 'client_credentials' });
      const sqliteContext = { ...context, issuer: sqliteServer.issuer, url: sqliteServer.url };
      for (const path of POSTGRES_PATHS) {
        if (only && !results.workloads.some((w) => w.name === path.name)) continue;
        progress(`PostgreSQL ${path.title}: SQLite… PostgreSQL… SQLite again…`);
        // A fresh pool of sessions for each refresh load: a load that stops with requests in
        // flight loses their successors, and four loads would drain one pool.
        const onServer = (server, pathContext) => async () => {
          const request = path.name === 'end_user_refresh' ? await refreshRequest(server.issuer, connections) : workload(path.name).keymint(pathContext);
          return measure(request, load, { pid: server.child.pid });
        };
        const { ours: sqlite, others: figures } = await bracketed(onServer(sqliteServer, sqliteContext), onServer(pg, pgContext));
        rows.push({ name: path.name, title: path.title, cached: path.cached, keymint: figures, sqlite, ratioToSqlite: round(figures.requestsPerSecond / sqlite.requestsPerSecond) });
        progress(' done\n');
      }
    } finally {
      if (sqliteServer) await stopProcess(sqliteServer.child);
      await stopProcess(pg.child);
    }
  } finally {
    database.drop();
  }
  return { workloads: rows };
}

// Scaling. Unpinned: the JWT workload against `serve --workers 2`, compared with the one-process
// figure above. Pinned (taskset, when there are 2+ cores): the server on core 0 and the closed-loop
// generator on core 1, one process against `--workers 2` on that same core, so that "more
// processes" is measured apart from "more cores".
if (wanted('workers')) {
  const single = results.workloads.find((w) => w.name === 'client_credentials_jwt')?.keymint;
  /** The JWT load against one more Keymint, profiled into DIR/`label` under --profile. */
  const scalingRun = async (label, args, { cpus, generator, generatorCpus } = {}) => {
    const profileDir = options.profile ? join(options.profile, label) : null;
    const started = await startKeymint(env, args, { cpus, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
    let figures;
    try {
      figures = await measure(jwtWorkload.keymint({ ...context, issuer: started.issuer, url: started.url }), load, { pid: started.child.pid, generator, cpus: generatorCpus });
    } finally {
      await stopProcess(started.child);
    }
    return profileDir ? { ...figures, profiles: profileSummaries(profileDir) } : figures;
  };
  progress('client credentials with --workers 2…');
  const figures = await scalingRun('workers-2', ['--workers', '2']);
  // The one-process figure is the JWT row's; under --profile one more run gives its profile.
  const oneProcess = options.profile ? await scalingRun('one-process', []) : single;
  results.workers = { workers: 2, ...figures, oneProcess: oneProcess ?? null, ratioToOneProcess: oneProcess ? round(figures.requestsPerSecond / oneProcess.requestsPerSecond) : null };
  progress(' done\n');
  if (cpuList().length >= 2 && hasTaskset()) {
    const pinnedRuns = {};
    for (const [label, folder, args] of [['oneProcess', 'pinned-one-process', []], ['twoWorkers', 'pinned-workers-2', ['--workers', '2']]]) {
      progress(`pinned: server ${args.length ? '--workers 2' : 'one process'} on core 0, closed loop on core 1…`);
      pinnedRuns[label] = await scalingRun(folder, args, { cpus: 0, generator: 'closed-loop', generatorCpus: 1 });
      progress(' done\n');
    }
    const perCore = pinnedRuns.oneProcess.requestsPerSecond;
    results.workers.pinned = {
      serverCpus: '0', generatorCpus: '1', generator: 'closed-loop', ...pinnedRuns,
      ratio: round(pinnedRuns.twoWorkers.requestsPerSecond / perCore),
      // N workers on N server cores, the generator on cores of its own: at most N × the one-core rate (docs/benchmarks.md).
      projection: { perCore, cores4: 4 * perCore, cores8: 8 * perCore },
    };
  } else {
    results.workers.pinned = { skipped: 'needs 2 cores and taskset' };
  }
}

/** Busy/idle/GC shares of each profiled process's main thread (profile-summary.mjs), primary first. */
function profileSummaries(dir) {
  return readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).sort().map((name) => {
    const { busyPercent, idlePercent, gcPercent, top } = summarise(JSON.parse(readFileSync(join(dir, name), 'utf8')), 3);
    return { file: join(dir, name), busyPercent, idlePercent, gcPercent, top };
  });
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// SDK verifier micro-benchmark (in process, keys supplied locally): its last line is JSON.
if (wanted('verifier')) {
  progress('SDK verifier micro-benchmark…\n');
  const output = execFileSync(process.execPath, [join(root, 'bench/verifier.mjs'), String(Math.max(1, Math.min(duration, 5)))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  results.verifier = JSON.parse(output.trim().split('\n').at(-1));
}

// Start-up on an existing database: the second start, timed from spawn to "listening".
if (options.db === 'sqlite') {
  const again = await startKeymint(env);
  await stopProcess(again.child);
  results.startup = { readyOnExistingDatabaseMs: Math.round(again.readyMs) };
}

printReport(results);
if (!options['no-write']) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  updateDocs(results);
}
