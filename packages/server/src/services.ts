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
import { refreshSuccessorKey } from './crypto/refresh-token.js';
import { DpopNonces } from './crypto/dpop-nonce.js';
import { DEFAULT_ROTATION_POLICY, KeyService } from './keys/service.js';
import { AccessTokenService } from './oauth/access-tokens.js';
import { DpopService } from './oauth/dpop.js';
import { OpaqueTokenService } from './opaque-tokens/service.js';
import { PrincipalService } from './principals/service.js';
import { createReplayStore, type ReplayStore } from './profiles/replay-store.js';
import { RevocationService } from './revocation/service.js';
import { BearerAuthenticator, type BearerResolver } from './resource/authenticate.js';
import { ChangeFeed } from './store/change-log.js';
import { ConfigAsCode } from './config-as-code/service.js';
import type { Db } from './store/database.js';
import { TenantService } from './tenants/service.js';
import { AdminService } from './admin/service.js';
import { IssuanceCounter } from './admin/usage.js';
import { KeyLimiter } from './limits/limiter.js';
import { KeyVerifier } from './gateway/verify.js';
import { DatabaseLimitStore, RedisLimitStore } from './limits/store.js';
import { createCodeMailer } from './users/mailer.js';
import { UserService } from './users/service.js';
import type { PasswordService } from './users/passwords.js';
import type { SessionCredentials } from './users/session-credentials.js';
import { ExpiryWarnings } from './leaks/expiry-warnings.js';
import { downloadGitHubKeys, GitHubKeySource } from './leaks/github-keys.js';
import { LeakService } from './leaks/service.js';
import { WebhookOutbox } from './webhooks/outbox.js';
import { WebhookService } from './webhooks/service.js';

/** The domain services of a Keymint process, each built complete: nothing is attached later. */
export interface Services {
  readonly tenants: TenantService;
  readonly apps: AppService;
  readonly keys: KeyService;
  /** Tells every cache of every process about writes (change_log, LISTEN/NOTIFY on PostgreSQL). */
  readonly changes: ChangeFeed;
  readonly audit: AuditLog;
  readonly apiTokens: ApiTokenService;
  readonly opaqueTokens: OpaqueTokenService;
  readonly revocations: RevocationService;
  /** Issues access tokens in each app's format; introspects and revokes them. */
  readonly accessTokens: AccessTokenService;
  /** Resolves `kmk_` / `kma_` Bearer tokens for the resource API. */
  readonly principals: PrincipalService;
  /** Resolves Bearer tokens of resource routes; built with its revocation check and resolvers. */
  readonly bearer: BearerAuthenticator;
  /** Admin accounts, console sessions, setup links, admin API tokens (admin/). */
  readonly admins: AdminService;
  /** Tokens issued per app per hour (admin usage chart). */
  readonly usage: IssuanceCounter;
  /**
   * End users of each tenant's app (users/service.ts): sign-up/in, sessions, refresh; for the
   * admin API, `users.revokeUserSessions(tenantId, userId, context)`, `users.listPage`,
   * `users.updateSettings(slug, patch)`.
   */
  readonly users: UserService;
  /** End users' password change and reset (users/passwords.ts). */
  readonly passwords: PasswordService;
  /** End-user session credentials at sign-out, RFC 7009 revocation and RFC 7662 introspection. */
  readonly sessionCredentials: SessionCredentials;
  /**
   * Attempt budgets of every guessable secret (attempts/): in Redis when KEYMINT_REDIS_URL is
   * set, else in the database, so every worker and node shares one count.
   */
  readonly attempts: Attempts;
  /** The shared Redis connection (KEYMINT_REDIS_URL), connected on first use; null without Redis. */
  readonly redis: Redis | null;
  /**
   * One-time values presented by clients (signed-request values; later assertion and proof
   * `jti`s), claimed once across every worker and node (KEYMINT_REPLAY_STORE).
   */
  readonly replay: ReplayStore;
  /** Leaked credentials revoked through their owning services (GitHub reports, public revoke). */
  readonly leaks: LeakService;
  /** GitHub's secret-scanning keys: KEYMINT_GITHUB_SECRET_SCANNING_KEYS, else fetched and cached. */
  readonly githubKeys: GitHubKeySource;
  /** `credential.expiring` warnings before secrets and tokens expire (KEYMINT_EXPIRY_WARNING_DAYS). */
  readonly expiryWarnings: ExpiryWarnings;
  /** Tenants' webhooks and the delivery of their outbox (webhooks/, docs/webhooks.md). */
  readonly webhooks: WebhookService;
  /** `keymint export` / `keymint apply`: a tenant's declarative state, applied through the services above. */
  readonly configAsCode: ConfigAsCode;
  /** RFC 9449 DPoP proofs at the token endpoint and the resource API (jtis in `replay`). */
  readonly dpop: DpopService;
  /**
   * Per-key rate limits and quotas (limits/): counted in Redis when KEYMINT_REDIS_URL is set,
   * else in the database, so every worker and node shares one count.
   */
  readonly limiter: KeyLimiter;
  /** The verify API's rules (gateway/): resolve a key, check its scopes, count one use. */
  readonly keyVerifier: KeyVerifier;
}

export interface ServicesOptions {
  config: Config;
  db: Db;
  keyring: MasterKeyring;
  log: Logger;
  now: () => number;
  /** A change-feed poll failed (the caller logs once per outage, see jobs.ts FeedOutageLog). */
  onFeedError: (error: unknown) => void;
}

/**
 * Builds every service in dependency order, each given exactly what it uses in its constructor,
 * hooks included (an app's disabling revokes its tokens; each issued token is counted).
 */
export function constructServices({ config, db, keyring, log, now, onFeedError }: ServicesOptions): Services {
  const changes = new ChangeFeed(db, config.changePollMs, onFeedError, { now });
  // Every audit entry of a catalogued change writes its webhook outbox rows in the same transaction.
  const audit = new AuditLog(db, log, now, new WebhookOutbox(now));
  const keys = new KeyService(db, keyring, changes, now, {
    ...DEFAULT_ROTATION_POLICY,
    // One verifier cache period, plus two change-feed polls for every node to publish the key.
    publishAheadMs: config.jwksMaxAgeSeconds * 1000 + 2 * config.changePollMs,
    rotateAfterMs: config.keyRotationDays === 0 ? null : config.keyRotationDays * 86_400_000,
  }, audit);
  const tenants = new TenantService(db, keys, changes, now, audit);
  const apiTokens = new ApiTokenService(db, changes, now, audit);
  const opaqueTokens = new OpaqueTokenService(db, changes, now);
  const revocations = new RevocationService(db, changes, now);
  const apps = new AppService({
    db, keyring, changes, now, audit,
    // Disabling an app revokes every token it holds, in the same transaction.
    onDisable: {
      async inTransaction(trx, app, at) {
        await revocations.revokeClient(trx, app.tenantId, app.clientId, at);
        await opaqueTokens.revokeClient(trx, app.clientId);
      },
      afterCommit: (app) => changes.emit(revocations.changeFor(app.tenantId, app.clientId)),
    },
  });
  const usage = new IssuanceCounter(db, now);
  const accessTokens = new AccessTokenService(db, changes, audit, keys, apps, opaqueTokens, revocations, now, (app, grant) => usage.record(grant.tenant.id, app.clientId));
  const principals = new PrincipalService(apiTokens, opaqueTokens, apps);
  // Connected on first use: CLI commands that never count an attempt never open a connection.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000, lazyConnect: true }) : null;
  redis?.on('error', (error) => log.warn({ err: error }, 'redis unreachable'));
  const replay = createReplayStore(config, db, now, (error) => log.error({ err: error }, 'replay store failed'), redis);
  const dpop = new DpopService({ replay, now, nonces: config.dpopNonce ? new DpopNonces(keyring.current.key, now) : null });
  // Resource routes accept API tokens and opaque access tokens besides JWTs, and refuse revoked JWTs.
  const resolveOpaque: BearerResolver = (token, context) => principals.resolveBearer(token, context.tenant.slug);
  const bearer = new BearerAuthenticator({
    keys, now, dpop,
    isRevoked: (claims, context) => revocations.isRevoked(context.tenant.id, claims),
    resolvers: { kmk_: resolveOpaque, kma_: resolveOpaque },
  });

  const attempts = new Attempts(
    redis ? new RedisAttemptStore(redis, `${config.redisPrefix}attempts:`) : new DatabaseAttemptStore(db),
    now,
    (error, what) => log.error({ err: error }, `attempt budget store failed (${what})`),
  );
  // An account at its ceiling is under attack from several addresses: worth a line in the audit log.
  const throttled = (action: 'user.sign_in_throttled' | 'admin.sign_in_throttled') => (who: Attempter, limits: SignInLimits) =>
    audit.record(SYSTEM, { tenantId: action === 'user.sign_in_throttled' ? who.realm : null, action, target: who.account, detail: { failures: limits.perAccount, window_seconds: limits.windowSeconds } });
  const admins = new AdminService(db, audit, now, new SignInBudgets(attempts, 'admin', config.adminSignIn, throttled('admin.sign_in_throttled')), config.adminSessionIdleTimeoutSeconds * 1000);
  const users = new UserService({
    db, tenants, keys, revocations, changes, audit, now, log, dpop,
    successorKey: refreshSuccessorKey(keyring.current.key),
    mailer: createCodeMailer(config, log),
    signInBudgets: new SignInBudgets(attempts, 'user', config.signIn, throttled('user.sign_in_throttled')),
    signUpBudget: new SignUpBudget(attempts, config.signUp),
  });
  const webhooks = new WebhookService({
    db, keyring, audit, now, log,
    policy: { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
    delivery: {
      retrySeconds: config.webhooks.retrySeconds,
      totalTimeoutMs: config.webhooks.timeoutSeconds * 1000,
      connectTimeoutMs: Math.min(5, config.webhooks.timeoutSeconds) * 1000,
      maxResponseBytes: 64 * 1024,
      secretOverlapMs: 24 * 3_600_000,
    },
  });
  const leaks = new LeakService({ apps, apiTokens, opaqueTokens, sessionCredentials: users.sessionCredentials, admins, audit });
  const githubKeys = new GitHubKeySource({ fixed: config.leaks.githubKeys, download: () => downloadGitHubKeys(), now });
  const expiryWarnings = new ExpiryWarnings({ db, audit, now, thresholdsDays: config.expiryWarningDays });
  const limiter = new KeyLimiter({
    store: redis ? new RedisLimitStore(redis, `${config.redisPrefix}limits:`) : new DatabaseLimitStore(db),
    now,
    onStoreError: (error) => log.error({ err: error }, 'key limit store failed'),
    appLimits: async (clientId) => (await apps.findClient(clientId))?.app.limits ?? null,
    onOutcome: (tenantId, subject, outcome) => usage.recordOutcome(tenantId, subject, outcome),
  });
  const keyVerifier = new KeyVerifier({ bearer, limiter, apps });
  return {
    tenants, apps, keys, changes, audit, apiTokens, opaqueTokens, revocations, accessTokens, principals, bearer, admins, usage, users,
    passwords: users.passwords,
    sessionCredentials: users.sessionCredentials,
    attempts, redis, replay, dpop, webhooks, limiter, keyVerifier,
    leaks, githubKeys, expiryWarnings,
    configAsCode: new ConfigAsCode({ tenants, apps, users, webhooks }),
  };
}
