import { APP_LIMITS } from '../apps/model.js';
import { CacheStats } from '../util/cache-stats.js';
import { sha256 } from '../crypto/hash.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';

/** One entry of the revocation feed (DESIGN "HTTP contract"), times in epoch seconds. */
export type RevocationEntry = { jti: string; exp: number } | { client_id: string; issued_before: number } | { sid: string; exp: number };

export interface RevocationFeed {
  revocations: RevocationEntry[];
  cursor: string;
}

interface Revocation {
  id: number;
  jti: string | null;
  clientId: string | null;
  /** Epoch ms */
  issuedBefore: number | null;
  /** An end-user session: every access token carrying this `sid`. */
  sessionId: string | null;
  /** Epoch ms: every token this revokes has expired by then. */
  expiresAt: number;
}

interface TenantRevocations {
  list: Revocation[];
  byJti: Map<string, number>;
  /** client_id → latest issued_before (ms). */
  byClient: Map<string, number>;
  /** sid → when its last access token expires (ms). */
  bySession: Map<string, number>;
  maxId: number;
}

/**
 * JWT revocation: one token by jti, or every token of a client issued before a moment. A
 * JWT is self-contained, so revocation is a list that resource servers poll (the feed) and
 * that introspection consults. Each tenant's list is loaded once and kept in memory; the
 * change feed reloads it on every node within a poll.
 */
export class RevocationService {
  private readonly tenants = new Map<string, Promise<TenantRevocations>>();
  readonly cacheStats = new CacheStats();

  constructor(
    private readonly db: Db,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
  ) {
    changes.on('revocation', (change) => this.tenants.delete(change.tenantId));
    changes.onReset(() => this.tenants.clear());
  }

  /** Revokes one JWT until its own expiry (`exp`, epoch seconds). */
  async revokeJti(tenantId: string, jti: string, exp: number): Promise<void> {
    const now = this.now();
    // Nothing to do for an expired token, or one already listed (a repeated RFC 7009 call).
    if (exp * 1000 <= now || (await this.load(tenantId)).byJti.has(jti)) return;
    await this.insert(this.db, tenantId, { jti, client_id: null, issued_before: null, session_id: null, expires_at: exp * 1000 }, now);
    this.changes.emit({ tenantId, entity: 'revocation', entityId: jti });
  }

  /**
   * Revokes every token of `clientId` issued before now. Runs inside the caller's transaction
   * (disabling an app); the caller emits the change after commit with `changeFor`.
   */
  async revokeClient(trx: Db, tenantId: string, clientId: string, now: number): Promise<void> {
    // No app token lives longer than the app lifetime ceiling, so then the entry can go.
    await this.insert(trx, tenantId, { jti: null, client_id: clientId, issued_before: now, session_id: null, expires_at: now + APP_LIMITS.maxTokenLifetime * 1000 }, now);
  }

  /**
   * Revokes every access token of an end-user session until `expiresAt` (epoch ms, when its
   * newest access token expires). Runs inside the caller's transaction (signing out, refresh
   * token reuse); the caller emits `sessionChange` after commit.
   */
  async revokeSession(trx: Db, tenantId: string, sessionId: string, expiresAt: number, now: number): Promise<void> {
    if (expiresAt <= now) return;
    await this.insert(trx, tenantId, { jti: null, client_id: null, issued_before: null, session_id: sessionId, expires_at: expiresAt }, now);
  }

  sessionChange(tenantId: string, sessionId: string) {
    return { tenantId, entity: 'revocation' as const, entityId: sessionId };
  }

  changeFor(tenantId: string, clientId: string) {
    return { tenantId, entity: 'revocation' as const, entityId: clientId };
  }

  /** True when a JWT with these claims is revoked (jti listed, or its client revoked after `iat`). */
  async isRevoked(tenantId: string, claims: { jti?: unknown; client_id?: unknown; iat?: unknown; sid?: unknown }): Promise<boolean> {
    const state = await this.load(tenantId);
    const now = this.now();
    if (typeof claims.sid === 'string') {
      const until = state.bySession.get(claims.sid);
      if (until !== undefined && until > now) return true;
    }
    if (typeof claims.jti === 'string') {
      const until = state.byJti.get(claims.jti);
      if (until !== undefined && until > now) return true;
    }
    if (typeof claims.client_id === 'string') {
      const before = state.byClient.get(claims.client_id);
      if (before !== undefined && (typeof claims.iat !== 'number' || claims.iat * 1000 < before)) return true;
    }
    return false;
  }

  /**
   * Revocations still in force, newer than `since` when given. The cursor is the newest id
   * this node knows, so passing it back returns only what came after.
   */
  async feed(tenantId: string, since: number | null): Promise<{ body: RevocationFeed; etag: string }> {
    const state = await this.load(tenantId);
    const now = this.now();
    const revocations: RevocationEntry[] = state.list
      .filter((r) => r.expiresAt > now && (since === null || r.id > since))
      .map((r) => (r.sessionId !== null
        ? { sid: r.sessionId, exp: Math.ceil(r.expiresAt / 1000) }
        : r.jti !== null
        ? { jti: r.jti, exp: Math.floor(r.expiresAt / 1000) }
        // Rounded up: a token issued in the same second, before the revocation, has `iat < issued_before`.
        : { client_id: r.clientId!, issued_before: Math.ceil(r.issuedBefore! / 1000) }));
    const body = { revocations, cursor: String(Math.max(state.maxId, since ?? 0)) };
    return { body, etag: `"${sha256(JSON.stringify(body)).slice(0, 27)}"` };
  }

  /** Deletes revocations whose tokens have all expired. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('token_revocations').where('expires_at', '<=', this.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async insert(db: Db, tenantId: string, values: { jti: string | null; client_id: string | null; issued_before: number | null; session_id: string | null; expires_at: number }, now: number): Promise<void> {
    const write = async (trx: Db) => {
      await trx.insertInto('token_revocations').values({ tenant_id: tenantId, ...values, created_at: now }).execute();
      await recordChange(trx, { tenantId, entity: 'revocation', entityId: values.jti ?? values.client_id ?? values.session_id ?? '' }, now);
    };
    if (db.isTransaction) await write(db);
    else await db.transaction().execute(write);
  }

  private load(tenantId: string): Promise<TenantRevocations> {
    let state = this.tenants.get(tenantId);
    this.cacheStats.count(state !== undefined);
    if (!state) {
      state = this.read(tenantId);
      this.tenants.set(tenantId, state);
      state.catch(() => this.tenants.delete(tenantId));
    }
    return state;
  }

  private async read(tenantId: string): Promise<TenantRevocations> {
    const rows = await this.db
      .selectFrom('token_revocations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '>', this.now())
      .orderBy('id')
      .execute();
    const state: TenantRevocations = { list: [], byJti: new Map(), byClient: new Map(), bySession: new Map(), maxId: 0 };
    const newest = await this.db
      .selectFrom('token_revocations')
      .select((eb) => eb.fn.max('id').as('max'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    state.maxId = Number(newest?.max ?? 0);
    for (const row of rows) {
      const revocation: Revocation = {
        id: Number(row.id),
        jti: row.jti,
        clientId: row.client_id,
        issuedBefore: row.issued_before === null ? null : Number(row.issued_before),
        sessionId: row.session_id ?? null,
        expiresAt: Number(row.expires_at),
      };
      if (revocation.sessionId !== null) state.bySession.set(revocation.sessionId, Math.max(state.bySession.get(revocation.sessionId) ?? 0, revocation.expiresAt));
      state.list.push(revocation);
      if (revocation.jti !== null) state.byJti.set(revocation.jti, revocation.expiresAt);
      if (revocation.clientId !== null && revocation.issuedBefore !== null) {
        state.byClient.set(revocation.clientId, Math.max(state.byClient.get(revocation.clientId) ?? 0, revocation.issuedBefore));
      }
    }
    return state;
  }
}
