import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { CacheStats } from '../util/cache-stats.js';
import { APP_LIMITS } from '../apps/model.js';
import { SYSTEM, type AuditContext, type AuditLog } from '../audit/service.js';
import { sha256 } from '../crypto/hash.js';
import { JwtSigner } from '../crypto/jwt.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import { DEFAULT_SIGNING_ALGORITHM, isSigningAlgorithm, type SigningAlgorithm } from '../crypto/algorithms.js';
import { generateSigningKey, importPrivateKey } from '../crypto/signing-keys.js';
import { ServerError } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { SigningKeyRow } from '../store/schema.js';
import type { KeyState, SigningKeyInfo } from './model.js';

/** What a tenant publishes and signs with, decrypted once and kept in memory. */
export interface TenantKeyRing {
  /** Signs RFC 9068 app access tokens (`typ: at+jwt`). */
  accessTokenSigner: JwtSigner;
  /** Signs end-user access and identity tokens (`typ: JWT`) with the same key: one JWKS for both. */
  userTokenSigner: JwtSigner;
  /**
   * Signs end-user identity tokens: their own `typ` (RFC 8725 §3.11 explicit typing), so a profile
   * token can never pass where an access token is expected.
   */
  identityTokenSigner: JwtSigner;
  /** Signs RFC 9701 JWT introspection responses (`typ: token-introspection+jwt`). */
  introspectionSigner: JwtSigner;
  /** The algorithm the tenant signs with now (metadata `*_signing_alg_values_supported`). */
  signingAlg: SigningAlgorithm;
  /** The JWKS document, serialised once. */
  jwksJson: string;
  etag: string;
  /** Resolves a JWS header to one of the published keys (introspection, revocation). */
  verificationKeys: JWTVerifyGetKey;
}

/**
 * When keys move through next → current → retired → removed (docs/key-rotation.md).
 * All durations in milliseconds.
 */
export interface RotationPolicy {
  /** How long a `next` key is published before it may sign: at least one JWKS max-age. */
  publishAheadMs: number;
  /** How long a key signs before automatic rotation; null: only on `keys rotate`. */
  rotateAfterMs: number | null;
  /** How long a retired key stays published: the longest token lifetime plus leeway. */
  retainMs: number;
}

export const DEFAULT_ROTATION_POLICY: RotationPolicy = {
  publishAheadMs: 300_000,
  rotateAfterMs: 90 * 86_400_000,
  retainMs: (APP_LIMITS.maxTokenLifetime + 60) * 1000,
};

export interface RotationResult {
  /** The kid that now signs, when this rotation promoted one. */
  promoted: string | null;
  /** The published `next` key and when it will sign (epoch ms). */
  next: { kid: string; activatesAt: number };
}

function toInfo(row: SigningKeyRow): SigningKeyInfo {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    state: row.state as KeyState,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    createdAt: Number(row.created_at),
    activatedAt: row.activated_at === null ? null : Number(row.activated_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    removeAfter: row.remove_after === null ? null : Number(row.remove_after),
  };
}

export class KeyService {
  private readonly rings = new Map<string, Promise<TenantKeyRing>>();
  private readonly keyChanges = new Map<string, Promise<void>>();
  readonly cacheStats = new CacheStats();

  constructor(
    private readonly db: Db,
    private readonly keyring: MasterKeyring,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
    private readonly policy: RotationPolicy = DEFAULT_ROTATION_POLICY,
    private readonly audit?: AuditLog,
  ) {
    changes.on('signing_key', (change) => this.rings.delete(change.tenantId));
    changes.onReset(() => this.rings.clear());
  }

  /** Gives a tenant a signing key when it has none in state `current` (first start, new tenant). */
  ensureCurrentKey(tenantId: string, alg: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM): Promise<void> {
    return this.exclusive(tenantId, () => this.ensureCurrentKeyNow(tenantId, alg));
  }

  /**
   * Runs key-state changes of one tenant one after another in this process: an operator's
   * rotation and the maintenance timer would otherwise interleave between "promote next" and
   * "stage a new next" and both stage one. (Across nodes, maintenance runs under an advisory lock.)
   */
  private exclusive<T>(tenantId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.keyChanges.get(tenantId) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.then(() => {}, () => {});
    this.keyChanges.set(tenantId, settled);
    void settled.then(() => {
      if (this.keyChanges.get(tenantId) === settled) this.keyChanges.delete(tenantId);
    });
    return result;
  }

  private async ensureCurrentKeyNow(tenantId: string, alg: SigningAlgorithm): Promise<void> {
    const current = await this.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'current')
      .executeTakeFirst();
    if (!current) await this.insertKey(tenantId, alg, 'current', null, { unlessPresent: true });
    // A published successor from the start, so the first rotation can be immediate.
    if (!(await this.findNext(tenantId))) await this.insertKey(tenantId, alg, 'next', null, { unlessPresent: true });
  }

  /**
   * Operator rotation (`keys rotate`): when the `next` key has been published for at least
   * `publishAheadMs` it signs from now on and a new `next` is staged; otherwise the `next` key
   * (staged now if there was none) is scheduled to sign as soon as verifiers can know it.
   * Never makes a key sign that a verifier's cached JWKS may lack.
   */
  rotate(tenantId: string, context: AuditContext = SYSTEM): Promise<RotationResult> {
    return this.exclusive(tenantId, () => this.rotateNow(tenantId, context));
  }

  private async rotateNow(tenantId: string, context: AuditContext): Promise<RotationResult> {
    const now = this.now();
    const next = await this.findNext(tenantId);
    if (next && Number(next.created_at) + this.policy.publishAheadMs <= now && (await this.promote(tenantId, next, now, context))) {
      const staged = await this.stage(tenantId, next.alg as SigningAlgorithm, null, context);
      return { promoted: next.kid, next: { kid: staged.kid, activatesAt: Number(staged.createdAt) + this.policy.publishAheadMs } };
    }
    return { promoted: null, next: await this.schedule(tenantId, next, now, context) };
  }

  /**
   * Moves a tenant to `alg` (its `signingAlg` setting, already stored) by the publish-ahead path: a
   * `next` key of another algorithm, which has never signed, is withdrawn; a key of `alg` is staged
   * and scheduled to sign once verifiers can know it (`publishAheadMs`); the current key then
   * retires and stays published until its tokens have expired.
   */
  adoptAlgorithm(tenantId: string, alg: SigningAlgorithm, context: AuditContext = SYSTEM): Promise<void> {
    return this.exclusive(tenantId, () => this.adoptAlgorithmNow(tenantId, alg, context));
  }

  private async adoptAlgorithmNow(tenantId: string, alg: SigningAlgorithm, context: AuditContext): Promise<void> {
    const current = await this.db.selectFrom('signing_keys').select('alg').where('tenant_id', '=', tenantId).where('state', '=', 'current').executeTakeFirst();
    let next = await this.findNext(tenantId);
    if (next && next.alg !== alg) {
      await this.withdraw(tenantId, next, context);
      next = undefined;
    }
    if (current?.alg !== alg) await this.schedule(tenantId, next, this.now(), context);
    else if (!next) await this.stage(tenantId, alg, null, context);
  }

  /** Removes a `next` key that never signed: no token can need it. */
  private async withdraw(tenantId: string, next: SigningKeyRow, context: AuditContext): Promise<void> {
    const now = this.now();
    const withdrawn = await this.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('signing_keys').where('kid', '=', next.kid).where('state', '=', 'next').executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return false;
      await recordChange(trx, { tenantId, entity: 'signing_key', entityId: next.kid }, now);
      await this.audit?.recordIn(trx, context, { tenantId, action: 'signing_key.withdrawn', target: next.kid, detail: { alg: next.alg } });
      return true;
    });
    if (withdrawn) this.changes.emit({ tenantId, entity: 'signing_key', entityId: next.kid });
  }

  /** The tenant's `signingAlg` setting (tenants/model.ts), read past any cache. */
  private async configuredAlgorithm(tenantId: string): Promise<SigningAlgorithm> {
    const row = await this.db.selectFrom('tenants').select('settings').where('id', '=', tenantId).executeTakeFirst();
    const alg = row ? (JSON.parse(row.settings) as { signingAlg?: string }).signingAlg : undefined;
    return alg !== undefined && isSigningAlgorithm(alg) ? alg : DEFAULT_SIGNING_ALGORITHM;
  }

  /**
   * The periodic step (every node runs it; the conditional updates make it safe to race):
   * removes retired keys whose tokens have all expired, promotes a due `next`, starts the
   * automatic rotation when the current key is old, and keeps one `next` key published.
   */
  maintain(tenantId: string): Promise<void> {
    return this.exclusive(tenantId, () => this.maintainNow(tenantId));
  }

  private async maintainNow(tenantId: string): Promise<void> {
    const now = this.now();
    const expired = await this.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'retired')
      .where('remove_after', '<=', now)
      .execute();
    if (expired.length > 0) {
      const removed = await this.db.transaction().execute(async (trx) => {
        // Only what this node deleted is announced: another node racing this step deleted the rest.
        const deleted = await trx.deleteFrom('signing_keys').where('kid', 'in', expired.map((k) => k.kid)).where('state', '=', 'retired').returning('kid').execute();
        if (deleted.length === 0) return 0;
        await recordChange(trx, { tenantId, entity: 'signing_key', entityId: deleted[0]!.kid }, now);
        for (const { kid } of deleted) await this.audit?.recordIn(trx, SYSTEM, { tenantId, action: 'signing_key.removed', target: kid });
        return deleted.length;
      });
      if (removed > 0) this.changes.emit({ tenantId, entity: 'signing_key', entityId: expired[0]!.kid });
    }

    const alg = await this.configuredAlgorithm(tenantId);
    const current = await this.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).where('state', '=', 'current').executeTakeFirst();
    if (!current) return this.ensureCurrentKeyNow(tenantId, alg);
    // A setting change whose key step did not happen (the process stopped in between) is finished here.
    const next = await this.findNext(tenantId);
    if (next ? next.alg !== alg : current.alg !== alg) return this.adoptAlgorithmNow(tenantId, alg, SYSTEM);
    if (!next) {
      await this.stage(tenantId, alg, null, SYSTEM);
      return;
    }
    const due = this.policy.rotateAfterMs !== null && Number(current.activated_at ?? current.created_at) + this.policy.rotateAfterMs <= now;
    if (next.activated_at === null && due) await this.schedule(tenantId, next, now, SYSTEM);
    const scheduled = next.activated_at !== null || due;
    if (scheduled && Number(next.activated_at ?? now) <= now && Number(next.created_at) + this.policy.publishAheadMs <= now) {
      if (await this.promote(tenantId, next, now, SYSTEM)) await this.stage(tenantId, next.alg as SigningAlgorithm, null, SYSTEM);
    }
  }

  /** `maintain` for every tenant. */
  async maintainAll(): Promise<void> {
    const tenants = await this.db.selectFrom('tenants').select('id').execute();
    for (const { id } of tenants) await this.maintain(id);
  }

  private findNext(tenantId: string): Promise<SigningKeyRow | undefined> {
    return this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'next')
      .orderBy('created_at')
      .executeTakeFirst();
  }

  /** Sets (or stages) the `next` key's activation to the first moment it is safe. */
  private async schedule(tenantId: string, next: SigningKeyRow | undefined, now: number, context: AuditContext): Promise<{ kid: string; activatesAt: number }> {
    if (!next) {
      const staged = await this.stage(tenantId, await this.configuredAlgorithm(tenantId), now + this.policy.publishAheadMs, context);
      return { kid: staged.kid, activatesAt: now + this.policy.publishAheadMs };
    }
    const activatesAt = Math.max(now, Number(next.created_at) + this.policy.publishAheadMs);
    if (next.activated_at === null || Number(next.activated_at) > activatesAt) {
      await this.db.updateTable('signing_keys').set({ activated_at: activatesAt }).where('kid', '=', next.kid).where('state', '=', 'next').execute();
    }
    return { kid: next.kid, activatesAt: Math.min(activatesAt, Number(next.activated_at ?? activatesAt)) };
  }

  private async stage(tenantId: string, alg: SigningAlgorithm, activatesAt: number | null, context: AuditContext): Promise<SigningKeyInfo> {
    return this.insertKey(tenantId, alg, 'next', activatesAt, { auditAs: context });
  }

  /** next → current, current → retired, in one transaction; false when another node did it first. */
  private async promote(tenantId: string, next: SigningKeyRow, now: number, context: AuditContext): Promise<boolean> {
    const promoted = await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('signing_keys')
        .set({ state: 'current', activated_at: now })
        .where('kid', '=', next.kid)
        .where('state', '=', 'next')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx
        .updateTable('signing_keys')
        .set({ state: 'retired', retired_at: now, remove_after: now + this.policy.retainMs })
        .where('tenant_id', '=', tenantId)
        .where('state', '=', 'current')
        .where('kid', '!=', next.kid)
        .execute();
      await recordChange(trx, { tenantId, entity: 'signing_key', entityId: next.kid }, now);
      await this.audit?.recordIn(trx, context, { tenantId, action: 'signing_key.rotated', target: next.kid });
      return true;
    });
    if (promoted) this.changes.emit({ tenantId, entity: 'signing_key', entityId: next.kid });
    return promoted;
  }

  /**
   * Tenants whose signing key (current, or the next one about to sign) this node cannot open with
   * the master keys it holds: /readyz reports the node not ready, so a node started with the
   * wrong KEYMINT_MASTER_KEY, or without a key still needed in KEYMINT_MASTER_KEY_PREVIOUS,
   * never takes traffic it would answer with errors for some tenant.
   */
  async unopenableTenants(): Promise<string[]> {
    const rows = await this.db.selectFrom('signing_keys').select(['tenant_id', 'kid', 'private_key_sealed']).where('state', 'in', ['current', 'next']).execute();
    const failing = new Set<string>();
    for (const row of rows) {
      try {
        this.keyring.open(row.private_key_sealed, `signing_key:${row.kid}`);
      } catch {
        failing.add(row.tenant_id);
      }
    }
    return [...failing];
  }

  async list(tenantId: string): Promise<SigningKeyInfo[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
    return rows.map(toInfo);
  }

  /** The tenant's signer and JWKS; loaded once, then served from memory until a key changes. */
  ring(tenantId: string): Promise<TenantKeyRing> {
    let ring = this.rings.get(tenantId);
    this.cacheStats.count(ring !== undefined);
    if (!ring) {
      ring = this.loadRing(tenantId);
      this.rings.set(tenantId, ring);
      ring.catch(() => this.rings.delete(tenantId));
    }
    return ring;
  }

  /**
   * `unlessPresent`: the check is repeated inside the write transaction, so two processes giving a
   * new tenant its first keys at once (the CLI beside a starting server on one SQLite file, whose
   * transactions begin IMMEDIATE) insert one key per state, not two. Returns null when skipped.
   */
  /** `auditAs`: write `signing_key.staged` (and its webhook event) in the insert's transaction. */
  private async insertKey(tenantId: string, alg: SigningAlgorithm, state: KeyState, activatesAt?: number | null, options?: { auditAs?: AuditContext }): Promise<SigningKeyInfo>;
  private async insertKey(tenantId: string, alg: SigningAlgorithm, state: KeyState, activatesAt: number | null, options: { unlessPresent: true }): Promise<SigningKeyInfo | null>;
  private async insertKey(tenantId: string, alg: SigningAlgorithm, state: KeyState, activatesAt: number | null = null, options: { unlessPresent?: boolean; auditAs?: AuditContext } = {}): Promise<SigningKeyInfo | null> {
    const generated = await generateSigningKey(alg);
    const now = this.now();
    const row: SigningKeyRow = {
      kid: generated.kid,
      tenant_id: tenantId,
      alg,
      state,
      public_jwk: JSON.stringify(generated.publicJwk),
      private_key_sealed: this.keyring.seal(generated.privatePkcs8, `signing_key:${generated.kid}`),
      created_at: now,
      // For a `next` key: when it is scheduled to start signing (null: not yet scheduled).
      activated_at: state === 'current' ? now : activatesAt,
      retired_at: null,
      remove_after: null,
    };
    const inserted = await this.db.transaction().execute(async (trx) => {
      if (options.unlessPresent && (await trx.selectFrom('signing_keys').select('kid').where('tenant_id', '=', tenantId).where('state', '=', state).executeTakeFirst())) return false;
      await trx.insertInto('signing_keys').values(row).execute();
      await recordChange(trx, { tenantId, entity: 'signing_key', entityId: generated.kid }, now);
      if (options.auditAs) await this.audit?.recordIn(trx, options.auditAs, { tenantId, action: 'signing_key.staged', target: generated.kid });
      return true;
    });
    if (!inserted) return null;
    this.changes.emit({ tenantId, entity: 'signing_key', entityId: generated.kid });
    return toInfo(row);
  }

  private async loadRing(tenantId: string): Promise<TenantKeyRing> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).execute();
    const current = rows
      .filter((r) => r.state === 'current')
      .sort((a, b) => Number(b.activated_at ?? 0) - Number(a.activated_at ?? 0))[0];
    if (!current) throw new ServerError('this tenant has no current signing key');
    const privateKey = importPrivateKey(this.keyring.open(current.private_key_sealed, `signing_key:${current.kid}`));
    // Published: the signing key, its announced successor and retired keys whose tokens may live.
    const jwks: JSONWebKeySet = { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
    const jwksJson = JSON.stringify(jwks);
    const alg = current.alg as SigningAlgorithm;
    return {
      signingAlg: alg,
      introspectionSigner: new JwtSigner(current.kid, alg, privateKey, 'token-introspection+jwt'),
      verificationKeys: createLocalJWKSet(jwks),
      accessTokenSigner: new JwtSigner(current.kid, alg, privateKey, 'at+jwt'),
      userTokenSigner: new JwtSigner(current.kid, alg, privateKey, 'JWT'),
      identityTokenSigner: new JwtSigner(current.kid, alg, privateKey, 'id+jwt'),
      jwksJson,
      etag: `"${sha256(jwksJson).slice(0, 27)}"`,
    };
  }
}
