import cluster from 'node:cluster';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'kysely';
import { TemporarilyUnavailable } from '../errors.js';
import { clusterMetrics, contributeToClusterMetrics } from './cluster-metrics.js';
import type { Config } from '../config.js';
import type { KeyService } from '../keys/service.js';
import type { ChangeFeed } from '../store/change-log.js';
import type { Db, PoolStats } from '../store/database.js';
import type { TenantService } from '../tenants/service.js';
import type { CacheStats } from '../util/cache-stats.js';
import { authenticatedClientId } from '../oauth/auth-failures.js';
import { TOKEN_ENDPOINT_PATHS } from '../oauth/token-endpoint.js';

/** Routes that issue tokens (RFC 6749 endpoint and the vendor profiles' token routes). */
const TOKEN_ROUTES = new Set([...TOKEN_ENDPOINT_PATHS, '/v1/auth/token', '/v3/tokens'].map((path) => `/t/:tenant${path}`));
/** Routes that must answer while the database is away: they report on it. */
const OPERATIONS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export interface Operations {
  /** Marks the node as draining: /readyz answers 503 so the balancer stops sending new requests. */
  drain(): void;
}

export interface OperationsOptions {
  /** KEYMINT_OUTAGE_GRACE: how long a node answers from its caches once the database is away. */
  outageGraceSeconds: Config['outageGraceSeconds'];
  db: Db;
  /** Readiness: the default tenant's signing keys open on this node. */
  tenants: Pick<TenantService, 'findBySlug'>;
  keys: Pick<KeyService, 'ring' | 'unopenableTenants'>;
  /** Its staleness drives the outage policy and the feed gauges. */
  changes: Pick<ChangeFeed, 'staleForMs' | 'pendingGaps'>;
  /** The in-memory caches whose hit ratio /metrics reports, by metric label. */
  caches: Record<string, { readonly cacheStats: CacheStats }>;
  /** PostgreSQL pool use; null on SQLite. */
  poolStats: () => PoolStats | null;
  /** Whether the LISTEN connection is up; null when there is none. */
  listening: () => boolean | null;
}

/**
 * Health, readiness, Prometheus metrics and the database-outage policy (docs/operations.md).
 * Each app has its own metric registry, so several servers in one process (tests) stay apart.
 */
export function installOperations(app: FastifyInstance, options: OperationsOptions): Operations {
  const { changes, caches, poolStats, listening } = options;
  let draining = false;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keymint_' });
  // Under `serve --workers N` every scrape answers for the whole server (cluster-metrics.ts);
  // what differs per worker is kept apart by a `worker` label.
  const inCluster = cluster.isWorker && typeof process.send === 'function';
  if (inCluster) {
    contributeToClusterMetrics(registry);
    new Gauge({
      name: 'keymint_worker_resident_memory_bytes',
      help: 'Resident memory of each worker process (serve --workers N), by worker pid',
      labelNames: ['worker'] as const,
      registers: [registry],
      collect() {
        this.set({ worker: String(process.pid) }, process.memoryUsage().rss);
      },
    });
  }

  const latency = new Histogram({
    name: 'keymint_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'keymint_tokens_issued_total',
    help: 'Token requests by tenant, authenticated client and result (issued, client_error, unavailable, server_error)',
    labelNames: ['tenant', 'client_id', 'result'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'keymint_cache_lookups_total',
    help: 'In-memory cache lookups by cache and result (hit, miss): the hit ratio is hit / (hit + miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, service] of Object.entries(caches)) {
        this.inc({ cache: name, result: 'hit' }, service.cacheStats.hits);
        this.inc({ cache: name, result: 'miss' }, service.cacheStats.misses);
      }
    },
  });
  new Gauge({
    name: 'keymint_db_pool_connections',
    help: 'PostgreSQL pool connections by state (max, total, idle, waiting = queries queued for a connection)',
    labelNames: ['state'] as const,
    aggregator: 'sum',
    registers: [registry],
    collect() {
      const stats = poolStats();
      if (!stats) return;
      for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'keymint_change_feed_stale_seconds',
    help: 'Seconds since the change feed last read the database while it is failing; 0 when healthy',
    aggregator: 'max',
    registers: [registry],
    collect() {
      this.set(changes.staleForMs() / 1000);
    },
  });
  new Gauge({
    name: 'keymint_change_feed_pending_gaps',
    help: 'change_log ids skipped by the cursor and still awaited (transactions committing out of id order)',
    aggregator: 'max',
    registers: [registry],
    collect() {
      this.set(changes.pendingGaps);
    },
  });
  new Gauge({
    name: 'keymint_change_listener_connected',
    help: '1 when the PostgreSQL LISTEN connection is up (0 means changes arrive by polling only)',
    aggregator: 'min',
    registers: [registry],
    collect() {
      const up = listening();
      if (up !== null) this.set(up ? 1 : 0);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    latency.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
    if (TOKEN_ROUTES.has(route) && request.method === 'POST') {
      tokens.inc({ tenant: tenantLabel(request), client_id: authenticatedClientId(request) ?? 'unauthenticated', result: resultOf(status) });
    }
  });

  // Outage policy: within KEYMINT_OUTAGE_GRACE of losing the database a node keeps answering
  // from its caches (tokens for known apps, JWKS, cached revocations); past it, every request is
  // 503 because caches that cannot see revocations must not be trusted any longer.
  const graceMs = options.outageGraceSeconds * 1000;
  app.addHook('onRequest', async (request, reply) => {
    if (OPERATIONS_ROUTES.has(request.routeOptions.url ?? '')) return;
    // Draining (SIGTERM): requests that reach this node on a kept-alive connection are sent on
    // to another node by the client's retry; requests already running are not affected.
    if (draining) {
      reply.header('connection', 'close');
      throw new TemporarilyUnavailable('this node is shutting down: retry (another node will answer)', 1);
    }
    const stale = changes.staleForMs();
    if (stale > 0 && stale >= graceMs) throw new TemporarilyUnavailable('temporarily unavailable: retry shortly', 2);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const failing = draining ? 'shutting down' : await notReady(options);
    if (failing) {
      reply.code(503).header('retry-after', '2').header('cache-control', 'no-store');
      return { status: 'unavailable', reason: failing };
    }
    reply.header('cache-control', 'no-store');
    return { status: 'ready' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return inCluster ? clusterMetrics() : registry.metrics();
  });
  return { drain: () => (draining = true) };
}

/** Why this node should not get traffic, or null: the database answers and every tenant's signing keys open here. */
async function notReady({ db, tenants, keys }: Pick<OperationsOptions, 'db' | 'tenants' | 'keys'>): Promise<string | null> {
  try {
    await withTimeout(sql`select 1`.execute(db), 2_000);
  } catch {
    return 'database unreachable';
  }
  try {
    const tenant = await tenants.findBySlug('default');
    if (tenant) await withTimeout(keys.ring(tenant.id), 2_000);
    if ((await withTimeout(keys.unopenableTenants(), 2_000)).length > 0) return 'signing keys not loaded';
  } catch {
    return 'signing keys not loaded';
  }
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function tenantLabel(request: FastifyRequest): string {
  return (request as { tenant?: { slug?: string } }).tenant?.slug ?? 'unknown';
}

function resultOf(status: number): string {
  if (status < 300) return 'issued';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'server_error';
  return 'client_error';
}
