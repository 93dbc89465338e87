import type { AuditContext, AuditLog } from '../audit/service.js';
import { sha256 } from '../crypto/hash.js';
import { newId } from '../crypto/random.js';
import { generateToken, hasValidFormat, tokenHint, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { ExpiredToken, InvalidRequest, InvalidToken, NotFound } from '../errors.js';
import type { Principal } from '../resource/authenticate.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { InRevocation } from '../leaks/service.js';
import { LastUsedTimes } from '../store/last-used.js';
import type { ApiTokenRow } from '../store/schema.js';
import { applyLimits, limitsFromColumn, limitsToColumn, NO_LIMITS, type Limits, type LimitsInput } from '../limits/model.js';
import type { Scope } from '../tenants/model.js';
import { parseStringList } from '../util/json.js';
import type { ApiTokenInfo, CreateApiTokenInput, NewApiToken } from './model.js';

function toInfo(row: ApiTokenRow, now: number): ApiTokenInfo {
  const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    scopes: parseStringList(row.scopes),
    status: row.revoked_at !== null ? 'revoked' : expiresAt !== null && expiresAt <= now ? 'expired' : 'active',
    createdAt: Number(row.created_at),
    expiresAt,
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    limits: limitsFromColumn(row.limits),
  };
}

/** What the hot path keeps of a valid token. */
interface CachedToken {
  id: string;
  tenantSlug: string;
  scopes: string[];
  expiresAt: number | null;
  limits: Limits;
}

const MAX_CACHED = 50_000;

const UNKNOWN_API_TOKEN = 'the API token is unknown or revoked';

/**
 * Long-lived, named, scoped `kmk_` tokens of a tenant (DESIGN "API token"). Stored as SHA-256
 * only. Resolving one checks the CRC-32 first (a mistyped token costs no database read), then
 * a memory cache of valid tokens that the change feed clears on revocation, on every node.
 */
export class ApiTokenService {
  private readonly cache = new Map<string, CachedToken>();
  private readonly lastUsed: LastUsedTimes;

  constructor(
    private readonly db: Db,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
    private readonly audit: AuditLog,
  ) {
    this.lastUsed = new LastUsedTimes(db, 'api_tokens');
    changes.on('api_token', (change) => {
      for (const [hash, token] of this.cache) if (token.id === change.entityId) this.cache.delete(hash);
    });
    changes.onReset(() => this.cache.clear());
  }

  async create(tenantId: string, catalog: Scope[], input: CreateApiTokenInput, context: AuditContext): Promise<NewApiToken> {
    const name = input.name?.trim() ?? '';
    if (name.length < 1 || name.length > 200) throw new InvalidRequest('name must be 1-200 characters');
    const known = new Set(catalog.map((s) => s.name));
    // Without --scopes a token gets what the catalog marks default, like an app asking for no scope.
    const scopes = [...new Set(input.scopes ?? catalog.filter((s) => s.isDefault).map((s) => s.name))];
    const unknown = scopes.filter((s) => !known.has(s));
    if (unknown.length > 0) throw new InvalidRequest(`unknown scope(s): ${unknown.join(', ')}; the catalog has ${[...known].join(', ')}`);
    const expiresIn = input.expiresInSeconds ?? null;
    if (expiresIn !== null && (!Number.isSafeInteger(expiresIn) || expiresIn <= 0)) throw new InvalidRequest('expiry must be a positive number of seconds');

    const now = this.now();
    const limits = applyLimits(NO_LIMITS, input.limits ?? {}, now);
    const token = generateToken(TOKEN_PREFIXES.apiToken);
    const row: ApiTokenRow = {
      id: newId('tok'),
      tenant_id: tenantId,
      name,
      token_hash: sha256(token),
      hint: tokenHint(token),
      scopes: JSON.stringify(scopes),
      created_at: now,
      expires_at: expiresIn === null ? null : now + expiresIn * 1000,
      last_used_at: null,
      revoked_at: null,
      limits: limitsToColumn(limits),
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_tokens').values(row).execute();
      await this.audit.recordIn(trx, context, { tenantId, action: 'api_token.created', target: row.id, detail: { name, scopes, ...limitsDetail(limits) } });
    });
    return { info: toInfo(row, now), token };
  }

  async list(tenantId: string): Promise<ApiTokenInfo[]> {
    await this.flushLastUsed();
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
    const now = this.now();
    return rows.map((row) => toInfo(row, now));
  }

  async revoke(tenantId: string, id: string, context: AuditContext): Promise<ApiTokenInfo> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`API token ${id} does not exist in this tenant`);
    const now = this.now();
    if (row.revoked_at === null) await this.revokeOnce(tenantId, id, now, context);
    return toInfo({ ...row, revoked_at: row.revoked_at ?? now }, now);
  }

  /** Revokes a token unless it already is; true for the one caller whose update did it (it alone audits). */
  private async revokeOnce(tenantId: string, id: string, now: number, context: AuditContext, alsoIn?: InRevocation): Promise<boolean> {
    const revoked = await this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await recordChange(trx, { tenantId, entity: 'api_token', entityId: id }, now);
      // The audit entry and its webhook outbox rows commit with the revocation.
      await this.audit.recordIn(trx, context, { tenantId, action: 'api_token.revoked', target: id });
      // leaks/: the credential.leaked entry, with the revocation too.
      await alsoIn?.(trx, { tenantId, id });
      return true;
    });
    if (!revoked) return false;
    this.changes.emit({ tenantId, entity: 'api_token', entityId: id });
    return true;
  }

  /**
   * A leaked `kmk_` token (leaks/): revoked through `revoke` when it is live (checksum first, then
   * one indexed read); the revoked token's tenant and id, or null when it was malformed, unknown,
   * already revoked or expired.
   */
  async revokeLeaked(token: string, context: AuditContext, alsoIn?: InRevocation): Promise<{ tenantId: string; id: string } | null> {
    if (!hasValidFormat(token, TOKEN_PREFIXES.apiToken)) return null;
    const row = await this.db.selectFrom('api_tokens').select(['id', 'tenant_id', 'expires_at', 'revoked_at']).where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && Number(row.expires_at) <= this.now())) return null;
    // Concurrent reports of one token: only the one that revoked it answers for it.
    return (await this.revokeOnce(row.tenant_id, row.id, this.now(), context, alsoIn)) ? { tenantId: row.tenant_id, id: row.id } : null;
  }

  /**
   * Changes a token's limits (absent fields are kept, null removes one). A changed rate limit or
   * quota starts from a fresh count; every node's cache follows through the change feed.
   */
  async setLimits(tenantId: string, id: string, input: LimitsInput, context: AuditContext): Promise<ApiTokenInfo> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`API token ${id} does not exist in this tenant`);
    const now = this.now();
    const limits = applyLimits(limitsFromColumn(row.limits), input, now);
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('api_tokens').set({ limits: limitsToColumn(limits) }).where('id', '=', id).execute();
      await recordChange(trx, { tenantId, entity: 'api_token', entityId: id }, now);
      await this.audit.recordIn(trx, context, { tenantId, action: 'api_token.limits_changed', target: id, detail: limitsDetail(limits) });
    });
    this.changes.emit({ tenantId, entity: 'api_token', entityId: id });
    return toInfo({ ...row, limits: limitsToColumn(limits) }, now);
  }

  /**
   * The principal a `kmk_` Bearer token stands for, or InvalidToken. Hot path: no database read
   * for a malformed token or a cached valid one; last-used times are written in batches.
   * `tenantSlug`: the tenant being served; another tenant's token is answered exactly like an
   * unknown one (issue 14: no hint that the token is valid somewhere), expired or not.
   */
  async resolve(token: string, tenantSlug?: string): Promise<Principal> {
    if (!hasValidFormat(token, TOKEN_PREFIXES.apiToken)) throw new InvalidToken('the API token is malformed');
    const hash = sha256(token);
    let cached = this.cache.get(hash);
    if (!cached) {
      const row = await this.db
        .selectFrom('api_tokens')
        .innerJoin('tenants', 'tenants.id', 'api_tokens.tenant_id')
        .select(['api_tokens.id', 'api_tokens.scopes', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.limits', 'tenants.slug'])
        .where('api_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      if (!row || row.revoked_at !== null) throw new InvalidToken(UNKNOWN_API_TOKEN);
      cached = { id: row.id, tenantSlug: row.slug, scopes: parseStringList(row.scopes), expiresAt: row.expires_at === null ? null : Number(row.expires_at), limits: limitsFromColumn(row.limits) };
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hash, cached);
    }
    if (tenantSlug !== undefined && cached.tenantSlug !== tenantSlug) throw new InvalidToken(UNKNOWN_API_TOKEN);
    const now = this.now();
    if (cached.expiresAt !== null && cached.expiresAt <= now) throw new ExpiredToken('the API token has expired');
    this.lastUsed.record(cached.id, now);
    return { tenantSlug: cached.tenantSlug, clientId: null, scopes: cached.scopes, kind: 'api_token', subject: cached.id, limits: cached.limits, expiresAt: cached.expiresAt };
  }

  /** Writes batched last-used times; called on a timer, never on the request path. */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }
}

/** Limits as an audit entry records them (the admin API's words). */
function limitsDetail(limits: Limits): Record<string, unknown> {
  return { rate_limit: limits.rateLimit && `${limits.rateLimit.max}/${limits.rateLimit.windowMs}ms`, quota: limits.quota?.max ?? null, quota_refill: limits.quota?.refill ? `${limits.quota.refill.amount}/${limits.quota.refill.periodMs}ms` : null, fail_open: limits.failOpen };
}
