import cluster, { type Worker } from 'node:cluster';
import { configForWorkers, type Config } from './config.js';
import { boundHeapGrowth } from './heap-growth.js';
import { openKeymint } from './keymint.js';
import { createLogger } from './log.js';
import { publicUrlOf, setupLine, startServer } from './server.js';
import { serveClusterMetrics } from './http/cluster-metrics.js';

export interface ServeOptions {
  /** Worker processes sharing the port (node:cluster); 1 serves in this process. */
  workers?: number;
  /** Where the banner goes (stdout). */
  print?: (text: string) => void;
}

/**
 * `keymint serve`: one process, or a primary that forks `workers` processes sharing one port.
 * Every process, and every worker, drains on SIGTERM/SIGINT (server.close: readiness fails,
 * in-flight requests finish, batches flush, pools close) and then exits 0.
 */
export async function serve(given: Config, options: ServeOptions = {}): Promise<void> {
  const workers = options.workers ?? 1;
  // Every worker must share the signed-request replay store (a memory one is per process).
  const config = configForWorkers(given, workers);
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const heapFlag = boundHeapGrowth();
  if (workers > 1 && cluster.isPrimary) return runPrimary(config, workers, print);
  const server = await startServer(config);
  print(cluster.isWorker ? `[worker ${process.pid}] ${server.banner.split('\n')[0]}` : server.banner);
  // Said once per serving process, so an operator comparing memory figures knows which V8 setting ran.
  server.app.log.info({ v8Flag: heapFlag ?? 'set by the operator' }, 'old-generation growth between full collections bounded');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: draining in-flight requests');
    try {
      await server.close();
    } catch (error) {
      server.app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    server.app.log.info('shut down');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // A worker also stops when the primary asks (its SIGTERM reaches us as a signal too).
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary gone'));
}

/**
 * The primary migrates once (workers then find the schema current), forks the workers and
 * replaces any that dies, backing off when they keep dying at start. SIGTERM to the primary
 * is passed to every worker; the primary exits when the last one has drained.
 */
async function runPrimary(config: Config, count: number, print: (text: string) => void): Promise<void> {
  const log = createLogger(config.logLevel);
  const keymint = await openKeymint(config, { log, migrate: true });
  await keymint.tenants.ensureDefault();
  // Workers print one line each; the first-start setup link is printed once, here.
  const setupToken = await keymint.admins.bootstrapLink();
  await keymint.close();
  serveClusterMetrics((error) => log.warn({ err: error }, 'cluster metrics: a worker did not answer'));

  let stopping = false;
  let recentDeaths: number[] = [];
  const fork = (): Worker => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.values(cluster.workers ?? {}).every((w) => w === undefined || w === worker || w.isDead())) {
        log.info('all workers drained; primary exiting');
        process.exit(0);
      }
      return;
    }
    const now = Date.now();
    recentDeaths = [...recentDeaths.filter((at) => now - at < 60_000), now];
    // Crash loop guard: after 5 deaths within a minute, wait before each replacement.
    const delay = recentDeaths.length > 5 ? 5_000 : 0;
    log.warn({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; starting a replacement');
    setTimeout(fork, delay);
  });
  for (let i = 0; i < count; i++) fork();
  print(`Keymint primary ${process.pid}: ${count} workers on ${config.host}:${config.port}`);
  if (setupToken) print(setupLine(publicUrlOf(config), setupToken));

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'primary: draining every worker');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (alive.length === 0) process.exit(0);
    for (const worker of alive) worker.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
