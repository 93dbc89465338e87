import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { MasterKeyring } from './crypto/keyring.js';
import { assertKeyForSealedDatabase, openMasterKeyring } from './master-key/files.js';
import { openDatabase, type Db, type PoolStats } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { constructServices, type Services } from './services.js';
import { FeedOutageLog, purgeExpired, startJobs, type Jobs, type PurgeCounts } from './jobs.js';
import { closeKeymint, flushBatches } from './lifecycle.js';

/**
 * Everything a Keymint process holds: database, caches and the domain services (services.ts),
 * its background jobs (jobs.ts) and how it closes (lifecycle.ts). Only composition roots see the
 * whole object (http/app.ts, server.ts, cluster.ts, the CLI's context); everything else receives
 * the services it uses by name (docs/architecture.md).
 */
export interface Keymint extends Services {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  /** The master keys: the current one seals, older ones still open (docs/operations.md). */
  readonly keyring: MasterKeyring;
  /** Where the master key came from, for the startup banner. */
  readonly masterKeySource: 'environment' | 'file' | 'new file';
  now(): number;
  /** Deletes expired opaque tokens and spent revocations (also run on a timer by servers). */
  purgeExpired(): Promise<PurgeCounts>;
  /** PostgreSQL pool use for /metrics; null on SQLite. */
  poolStats(): PoolStats | null;
  /** Whether the LISTEN connection is up (PostgreSQL servers); null when there is none. */
  listening(): boolean | null;
  /** Writes batched in memory (last-used times, audit) now: graceful shutdown calls it. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  log: Logger;
  /** Run migrations first (serve and migrate do; other CLI commands refuse an old schema). */
  migrate?: boolean;
  /** Create `data/master.key` when there is none (default true; commands that only read refuse instead). */
  createMasterKey?: boolean;
  /** Tail the change log for writes from other processes and run the background jobs (long-running servers only). */
  watchChanges?: boolean;
  now?: () => number;
}

/** Opens the database (migrating it when asked) and the master keys, builds the services, starts the jobs of a server. */
export async function openKeymint(config: Config, options: OpenOptions): Promise<Keymint> {
  const { log, now = Date.now } = options;
  const { db, close: closeDb, poolStats } = openDatabase(config.database, (error) => log.warn({ err: error }, 'database connection lost; the pool reconnects on next use'), {
    traceQueries: config.tracing !== null,
    checkpointInBackground: options.watchChanges ?? false,
  });
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
      // After migrating: the signing keys table exists whatever the database's age.
      await assertKeyForSealedDatabase(db, config);
    }
    const { keyring, source: masterKeySource } = openMasterKeyring(config, { create: options.createMasterKey ?? true });
    const feedOutage = new FeedOutageLog(log);
    const services = constructServices({ config, db, keyring, log, now, onFeedError: feedOutage.failed });
    const { apps, apiTokens, audit, usage, changes, keys } = services;
    const purge = () => purgeExpired(services);
    let jobs: Jobs | null = null;
    if (options.watchChanges) {
      jobs = await startJobs({
        config, db, log, keyring, changes, keys, feedOutage, purge,
        flushLastUsed: () => Promise.all([apps.flushLastUsed(), apiTokens.flushLastUsed()]),
        flushAudit: () => audit.flush(),
        flushUsage: () => usage.flush(),
        warnExpiring: () => services.expiryWarnings.run(),
        deliverWebhooks: () => services.webhooks.deliverDue(),
      });
    }
    return {
      ...services,
      config, db, log, keyring, masterKeySource, now, poolStats,
      purgeExpired: purge,
      listening: () => jobs?.listening() ?? null,
      flush: () => flushBatches(services),
      close: () => closeKeymint({ services, jobs, closeDb, log }),
    };
  } catch (error) {
    await closeDb();
    throw error;
  }
}
