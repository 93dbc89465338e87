import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import { Attempts } from './attempts/attempts.js';
import { DatabaseAttemptStore } from './attempts/database-store.js';
import { RedisAttemptStore } from './attempts/redis-store.js';
import { SignInBudgets, SignUpBudget, type Attempter, type SignInLimits } from './attempts/sign-in.js';
import { ApiTokenService } from './api-tokens/service.js';
import { AppService } from './apps/service.js';
import { AuditLog, SYSTEM } from './audit/service.js';
import type { Config } from './config.js';
import type { MasterKeyring } from './crypto/keyring.js';
import { openMasterKeyring } from './master-key/files.js';
import { refreshSuccessorKey } from './crypto/refresh-successor.js';
import { DEFAULT_ROTATION_POLICY, KeyService } from './keys/service.js';
import { AccessTokenService } from './oauth/access-tokens.js';
import { OpaqueTokenService } from './opaque-tokens/service.js';
import { PrincipalService } from './principals/service.js';
import { RevocationService } from './revocation/service.js';
import { BearerAuthenticator, type BearerResolver } from './resource/authenticate.js';
import { ChangeFeed } from './store/change-log.js';
import { openDatabase, type Db, type PoolStats } from './store/database.js';
import { runExclusively } from './store/locks.js';
import { ChangeListener } from './store/notify.js';
import { migrateToLatest } from './store/migrate.js';
import { TenantService } from './tenants/service.js';
import { AdminService } from './admin/service.js';
import { IssuanceCounter } from './admin/usage.js';
import { createCodeMailer } from './users/mailer.js';
import { UserService } from './users/service.js';
import { PasswordService } from './users/passwords.js';
import { SessionCredentials } from './users/session-credentials.js';

/** Everything a Keymint process holds: database, caches and the domain services. */
export interface Keymint {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  readonly tenants: TenantService;
  readonly apps: AppService;
  readonly keys: KeyService;
  readonly changes: ChangeFeed;
  readonly audit: AuditLog;
  readonly apiTokens: ApiTokenService;
  readonly opaqueTokens: OpaqueTokenService;
  readonly revocations: RevocationService;
  /** Issues access tokens in each app's format; introspects and revokes them. */
  readonly accessTokens: AccessTokenService;
  /** Resolves `kmk_` / `kma_` Bearer tokens for the resource API. */
  readonly principals: PrincipalService;
  /** Deletes expired opaque tokens and spent revocations (also run on a timer by servers). */
  purgeExpired(): Promise<{ opaqueTokens: number; revocations: number; userSessions: number; attemptWindows: number }>;
  /** Resolves Bearer tokens of resource routes; built with its revocation check and resolvers. */
  readonly bearer: BearerAuthenticator;
  /** Admin accounts, console sessions, setup links, admin API tokens (admin/). */
  readonly admins: AdminService;
  /** Tokens issued per app per hour (admin usage chart). */
  readonly usage: IssuanceCounter;
  /**
   * End users of each tenant's app (users/service.ts): sign-up/in, sessions, refresh; for the
   * admin API, `users.revokeUserSessions(tenantId, userId, context)`, `users.list`,
   * `users.updateSettings(slug, patch)`.
   */
  readonly users: UserService;
  /** End users' password change and reset (users/passwords.ts). */
  readonly passwords: PasswordService;
  /** The master keys: the current one seals, older ones still open (docs/operations.md). */
  readonly keyring: MasterKeyring;
  /**
   * Attempt budgets of every guessable secret (attempts/): in Redis when KEYMINT_REDIS_URL is
   * set, else in the database, so every worker and node shares one count.
   */
  readonly attempts: Attempts;
  /** The shared Redis connection (KEYMINT_REDIS_URL), connected on first use; null without Redis. */
  readonly redis: Redis | null;
  /** End-user session credentials at sign-out, RFC 7009 revocation and RFC 7662 introspection. */
  readonly sessionCredentials: SessionCredentials;
  /** Where the master key came from, for the startup banner. */
  readonly masterKeySource: 'environment' | 'file' | 'new file';
  now(): number;
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
  /** Tail the change log for writes from other processes (long-running servers only). */
  watchChanges?: boolean;
  now?: () => number;
}

export async function openKeymint(config: Config, options: OpenOptions): Promise<Keymint> {
  const { log, now = Date.now } = options;
  const { db, close: closeDb, poolStats } = openDatabase(config.database, (error) => log.warn({ err: error }, 'database connection lost; the pool reconnects on next use'));
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    }
    const { keyring, source: masterKeySource } = openMasterKeyring(config, { create: options.createMasterKey ?? true });
    // One line per outage, not one per poll: the first failure is logged, then only recovery.
    let feedFailing = false;
    const changes = new ChangeFeed(db, config.changePollMs, (error) => {
      if (!feedFailing) log.error({ err: error }, 'change feed poll failed; serving from cache (KEYMINT_OUTAGE_GRACE) until the database returns');
      feedFailing = true;
    }, { now });
    const audit = new AuditLog(db, log, now);
    const keys = new KeyService(db, keyring, changes, now, {
      ...DEFAULT_ROTATION_POLICY,
      // One verifier cache period, plus two change-feed polls for every node to publish the key.
      publishAheadMs: config.jwksMaxAgeSeconds * 1000 + 2 * config.changePollMs,
      rotateAfterMs: config.keyRotationDays === 0 ? null : config.keyRotationDays * 86_400_000,
    }, audit);
    const tenants = new TenantService(db, keys, changes, now, audit);
    const apps = new AppService(db, keyring, changes, now, audit);
    const apiTokens = new ApiTokenService(db, changes, now, audit);
    const opaqueTokens = new OpaqueTokenService(db, changes, now);
    const revocations = new RevocationService(db, changes, now);
    const accessTokens = new AccessTokenService(db, changes, audit, keys, apps, opaqueTokens, revocations, now);
    const principals = new PrincipalService(apiTokens, opaqueTokens, apps);
    // Disabling an app revokes every token it holds, in the same transaction.
    apps.onDisable({
      async inTransaction(trx, app, at) {
        await revocations.revokeClient(trx, app.tenantId, app.clientId, at);
        await opaqueTokens.revokeClient(trx, app.clientId);
      },
      afterCommit: (app) => changes.emit(revocations.changeFor(app.tenantId, app.clientId)),
    });
    // Connected on first use: CLI commands that never count an attempt never open a connection.
    const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000, lazyConnect: true }) : null;
    redis?.on('error', (error) => log.warn({ err: error }, 'redis unreachable'));
    const attempts = new Attempts(
      redis ? new RedisAttemptStore(redis, `${config.redisPrefix}attempts:`) : new DatabaseAttemptStore(db),
      now,
      (error, what) => log.error({ err: error }, `attempt budget store failed (${what})`),
    );
    // An account at its ceiling is under attack from several addresses: worth a line in the audit log.
    const throttled = (action: 'user.sign_in_throttled' | 'admin.sign_in_throttled') => (who: Attempter, limits: SignInLimits) =>
      audit.record(SYSTEM, { tenantId: action === 'user.sign_in_throttled' ? who.realm : null, action, target: who.account, detail: { failures: limits.perAccount, window_seconds: limits.windowSeconds } });
    const admins = new AdminService(db, audit, now, new SignInBudgets(attempts, 'admin', config.adminSignIn, throttled('admin.sign_in_throttled')), config.adminSessionIdleTimeoutSeconds * 1000);
    const usage = new IssuanceCounter(db, now);
    accessTokens.onIssued((app, grant) => usage.record(grant.tenant.id, app.clientId));
    const purgeExpired = async () => ({
      opaqueTokens: await opaqueTokens.purgeExpired(), revocations: await revocations.purgeExpired(), userSessions: await users.purgeExpired(), attemptWindows: await attempts.purge(),
    });
    const flushAll = () => Promise.all([apps.flushLastUsed(), apiTokens.flushLastUsed(), audit.flush(), usage.flush()]);
    // Resource routes accept API tokens and opaque access tokens besides JWTs, and refuse revoked JWTs.
    const resolveOpaque: BearerResolver = (token, context) => principals.resolveBearer(token, context.tenant.slug);
    const bearer = new BearerAuthenticator({
      keys, now,
      isRevoked: (claims, context) => revocations.isRevoked(context.tenant.id, claims),
      resolvers: { kmk_: resolveOpaque, kma_: resolveOpaque },
    });
    const users = new UserService({
      db, tenants, keys, revocations, changes, audit, now, log,
      successorKey: refreshSuccessorKey(keyring.current.key),
      mailer: createCodeMailer(config, log),
      signInBudgets: new SignInBudgets(attempts, 'user', config.signIn, throttled('user.sign_in_throttled')),
      signUpBudget: new SignUpBudget(attempts, config.signUp),
    });

    const timers: NodeJS.Timeout[] = [];
    const every = (ms: number, what: string, run: () => Promise<unknown>) => {
      const timer = setInterval(() => void run().catch((error) => log.error({ err: error }, `${what} failed`)), ms);
      timer.unref();
      timers.push(timer);
    };
    let listener: ChangeListener | null = null;
    if (options.watchChanges) {
      await changes.start();
      if (config.database.kind === 'postgres') {
        listener = new ChangeListener(config.database.url, changes, log);
        await listener.start();
      }
      every(config.changePollMs, 'change feed recovery check', async () => {
        if (feedFailing && changes.staleForMs() === 0) {
          feedFailing = false;
          log.info('change feed recovered; caches refreshed');
        }
      });
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
      every(5_000, 'last-used flush', () => Promise.all([apps.flushLastUsed(), apiTokens.flushLastUsed()]));
      every(1_000, 'audit flush', () => audit.flush());
      every(10_000, 'usage flush', () => usage.flush());
      every(config.purgeIntervalSeconds * 1000, 'purge', purgeExpired);
      // One node at a time rotates keys: two nodes staging a next key at once would publish two.
      every(config.keyCheckIntervalSeconds * 1000, 'signing key maintenance', () => runExclusively(db, 'keymint:key-maintenance', () => keys.maintainAll()));
    }
    return {
      config, db, log, tenants, apps, keys, changes, bearer, keyring, masterKeySource, now, attempts, redis,
      audit, apiTokens, opaqueTokens, revocations, accessTokens, principals, purgeExpired, admins, usage, users,
      passwords: users.passwords,
      sessionCredentials: users.sessionCredentials,
      poolStats,
      listening: () => (listener ? listener.listening : null),
      async flush() {
        await flushAll();
      },
      async close() {
        changes.stop();
        await listener?.stop();
        bearer.close();
        users.close();
        for (const timer of timers) clearInterval(timer);
        await flushAll().catch((error) => log.error({ err: error }, 'flush on close failed'));
        await attempts.close();
        if (redis) await (redis.status === 'wait' ? redis.disconnect() : redis.quit().catch(() => redis.disconnect()));
        await closeDb();
      },
    };
  } catch (error) {
    await closeDb();
    throw error;
  }
}
