import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { MasterKeyring } from './crypto/keyring.js';
import type { KeyService } from './keys/service.js';
import type { ChangeFeed } from './store/change-log.js';
import type { Db } from './store/database.js';
import { runExclusively } from './store/locks.js';
import { ChangeListener } from './store/notify.js';

/** What one purge deleted, by kind. */
export interface PurgeCounts {
  opaqueTokens: number;
  revocations: number;
  userSessions: number;
  attemptWindows: number;
  expiryWarnings: number;
  webhookDeliveries: number;
}

/** Everything that keeps rows that expire: opaque tokens, revocations, end-user sessions, attempt windows, expiry warnings, webhook deliveries. */
export interface Purgeable {
  opaqueTokens: { purgeExpired(): Promise<number> };
  revocations: { purgeExpired(): Promise<number> };
  users: { purgeExpired(): Promise<number> };
  attempts: { purge(): Promise<number> };
  expiryWarnings: { purgeExpired(): Promise<number> };
  webhooks: { purgeExpired(): Promise<number> };
}

/** Deletes expired opaque tokens, spent revocations, ended sessions, old attempt windows, old expiry warnings and finished webhook deliveries. */
export async function purgeExpired({ opaqueTokens, revocations, users, attempts, expiryWarnings, webhooks }: Purgeable): Promise<PurgeCounts> {
  return {
    opaqueTokens: await opaqueTokens.purgeExpired(),
    revocations: await revocations.purgeExpired(),
    userSessions: await users.purgeExpired(),
    attemptWindows: await attempts.purge(),
    expiryWarnings: await expiryWarnings.purgeExpired(),
    webhookDeliveries: await webhooks.purgeExpired(),
  };
}

/** One log line per change-feed outage, not one per poll: the first failure, then the recovery. */
export class FeedOutageLog {
  private failing = false;

  constructor(private readonly log: Logger) {}

  readonly failed = (error: unknown): void => {
    if (!this.failing) this.log.error({ err: error }, 'change feed poll failed; serving from cache (KEYMINT_OUTAGE_GRACE) until the database returns');
    this.failing = true;
  };

  /** Called on every poll interval: logs the recovery once the feed reads again. */
  check(staleForMs: number): void {
    if (this.failing && staleForMs === 0) {
      this.failing = false;
      this.log.info('change feed recovered; caches refreshed');
    }
  }
}

export interface JobsOptions {
  config: Config;
  db: Db;
  log: Logger;
  keyring: MasterKeyring;
  changes: ChangeFeed;
  keys: KeyService;
  feedOutage: FeedOutageLog;
  /** Batched writes (last-used times, audit, usage), by how often each is written. */
  flushLastUsed: () => Promise<unknown>;
  flushAudit: () => Promise<unknown>;
  flushUsage: () => Promise<unknown>;
  purge: () => Promise<unknown>;
  /** Records due expiry warnings (leaks/expiry-warnings.ts). */
  warnExpiring: () => Promise<unknown>;
  /** Sends due webhook deliveries; rows are claimed one by one, so every node may run it. */
  deliverWebhooks: () => Promise<unknown>;
}

/** The background work of a long-running server; `stop` ends all of it. */
export interface Jobs {
  /** Whether the LISTEN connection is up (PostgreSQL servers); null when there is none. */
  listening(): boolean | null;
  stop(): Promise<void>;
}

/**
 * Starts the change feed (and LISTEN on PostgreSQL) and the timers of a server: cache refresh,
 * change-log prune, batched flushes, purge, signing-key maintenance. A failing run is logged and
 * tried again at the next tick; jobs that must not run on two nodes at once take a database lock.
 */
export async function startJobs(options: JobsOptions): Promise<Jobs> {
  const { config, db, log, keyring, changes, keys, feedOutage } = options;
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, what: string, run: () => Promise<unknown>) => {
    const timer = setInterval(() => void run().catch((error) => log.error({ err: error }, `${what} failed`)), ms);
    timer.unref();
    timers.push(timer);
  };
  await changes.start();
  let listener: ChangeListener | null = null;
  if (config.database.kind === 'postgres') {
    listener = new ChangeListener(config.database.url, changes, log);
    try {
      await listener.start();
    } catch (error) {
      // openKeymint closes the database next: the feed must not poll a closed pool.
      changes.stop();
      throw error;
    }
  }
  every(config.changePollMs, 'change feed recovery check', async () => feedOutage.check(changes.staleForMs()));
  // The safety net behind the feed: every cache starts over now and then (not while the
  // database is away: then the caches are all there is, see KEYMINT_OUTAGE_GRACE).
  every(config.cacheRefreshSeconds * 1000, 'cache refresh', async () => {
    // File-based master keys: after `master-key rotate` this node seals with the new key too.
    keyring.refresh();
    if (changes.staleForMs() === 0) changes.resetAll();
  });
  // Every node has read a row within seconds; a day's worth is kept for diagnosis.
  every(Math.min(3_600_000, config.changeLogRetentionHours * 3_600_000 / 4), 'change log prune', () =>
    runExclusively(db, 'keymint:change-log-prune', async () => {
      const pruned = await changes.prune(config.changeLogRetentionHours * 3_600_000);
      if (pruned > 0) log.debug({ pruned }, 'change log pruned');
    }));
  every(5_000, 'last-used flush', options.flushLastUsed);
  every(1_000, 'audit flush', options.flushAudit);
  every(10_000, 'usage flush', options.flushUsage);
  every(config.purgeIntervalSeconds * 1000, 'purge', options.purge);
  every(1_000, 'webhook delivery', options.deliverWebhooks);
  // One node at a time rotates keys: two nodes staging a next key at once would publish two.
  every(config.keyCheckIntervalSeconds * 1000, 'signing key maintenance', () => runExclusively(db, 'keymint:key-maintenance', () => keys.maintainAll()));
  // Expiry warnings are claimed row by row, so two nodes could not double them; one node does the scan.
  every(config.expiryCheckIntervalSeconds * 1000, 'expiry warnings', () => runExclusively(db, 'keymint:expiry-warnings', async () => {
    await options.warnExpiring();
  }));
  return {
    listening: () => (listener ? listener.listening : null),
    async stop() {
      changes.stop();
      await listener?.stop();
      for (const timer of timers) clearInterval(timer);
    },
  };
}
