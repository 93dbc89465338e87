import { SYSTEM, type AuditContext, type AuditLog } from '../audit/service.js';
import { InvalidDpopProof, InvalidGrant, InvalidRequest, NotFound } from '../errors.js';
import type { RevocationService } from '../revocation/service.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import { SharedTransactions } from '../store/shared-transactions.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import { userSessionOf, type SessionTokens, type UserSession } from './model.js';
import { rotateRefreshToken } from './refresh.js';
import type { SessionIssuer } from './session-issuer.js';
import { sessionEnded } from './session-state.js';
import { endUserSettings } from './settings.js';

export interface UserSessionsDeps {
  db: Db;
  tenants: TenantService;
  revocations: RevocationService;
  changes: ChangeFeed;
  audit: AuditLog;
  issuer: SessionIssuer;
  now: () => number;
  /** Keys refresh-token successors (crypto/refresh-token.ts), derived from the master key. */
  successorKey: Buffer;
}

/**
 * Open end-user sessions: refresh-token rotation with reuse detection, and revocation, published
 * in the revocation feed so the session's access tokens stop verifying everywhere.
 */
export class UserSessions {
  private readonly rotations: SharedTransactions;

  constructor(private readonly deps: UserSessionsDeps) {
    this.rotations = new SharedTransactions(deps.db);
  }

  /**
   * Exchanges a refresh token for new session tokens, spending it (RFC 9700 §4.14.2: rotation). A
   * token spent within the tenant's reuse grace is answered with the session's current refresh
   * token; one spent earlier means it leaked (or was replayed): the whole session is revoked, the
   * newest refresh token and every access token included (users/refresh.ts).
   *
   * `jkt`: the thumbprint of the request's verified DPoP proof key, or null without a proof. A
   * DPoP-bound session (RFC 9449 §5) refreshes only with a proof by its own key; an unbound one
   * stays a Bearer session whatever the request sends.
   * @throws {InvalidDpopProof} 400: the session is bound and the request has no proof (nothing spent)
   * @throws {InvalidGrant} 400: unknown, spent, ended, or bound to another key (nothing spent)
   */
  async refresh(tenant: Tenant, issuer: string, refreshToken: unknown, jkt: string | null = null): Promise<SessionTokens> {
    if (typeof refreshToken !== 'string' || refreshToken === '') throw new InvalidRequest('refresh_token is required');
    const now = this.deps.now();
    const outcome = await rotateRefreshToken(this.rotations, { tenant, settings: endUserSettings(tenant), successorKey: this.deps.successorKey, token: refreshToken, now, jkt });
    if (outcome.kind === 'unknown') throw new InvalidGrant('the refresh token is not valid');
    if (outcome.kind === 'wrong_key') {
      if (outcome.missing) throw new InvalidDpopProof('this session is DPoP-bound: send a DPoP proof (RFC 9449) by its key with the refresh');
      throw new InvalidGrant('the refresh token is bound to another DPoP key');
    }
    if (outcome.kind === 'ended') throw new InvalidGrant(outcome.reason);
    if (outcome.kind === 'reused') {
      await this.revoke(tenant.id, outcome.sessionId, now, (trx) => this.deps.audit.recordIn(trx, SYSTEM, { tenantId: tenant.id, action: 'user.refresh_token_reused', target: outcome.sessionId }));
      throw new InvalidGrant('the refresh token was already used: the session has been revoked');
    }
    const session = { id: outcome.session.id, expiresAt: Number(outcome.session.expires_at), jkt: outcome.session.jkt };
    return this.deps.issuer.tokensFor(tenant, issuer, outcome.user, session, outcome.refreshToken, now);
  }

  /**
   * Marks the session revoked and lists it in the revocation feed; false when it already was (sign-out, RFC 7009:
   * users/session-credentials.ts). `alsoIn` runs in the same transaction once this call has revoked it (an audit
   * entry, so its webhook event commits with the revocation or not at all).
   */
  async revoke(tenantId: string, sessionId: string, now: number, alsoIn?: (trx: Db) => Promise<void>): Promise<boolean> {
    const revoked = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.revokeIn(trx, tenantId, sessionId, now))) return false;
      await alsoIn?.(trx);
      return true;
    });
    if (revoked) this.deps.changes.emit(this.deps.revocations.sessionChange(tenantId, sessionId));
    return revoked;
  }

  /** `revoke` inside the caller's transaction; the caller emits the change after commit. */
  private async revokeIn(trx: Db, tenantId: string, sessionId: string, now: number): Promise<boolean> {
    const { revocations } = this.deps;
    const result = await trx.updateTable('user_sessions').set({ revoked_at: now }).where('id', '=', sessionId).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    // Read under the row lock the UPDATE took: a refresh that committed first has already moved it.
    const row = await trx.selectFrom('user_sessions').select('access_expires_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
    // Refresh tokens of a revoked session are refused by the session check; the feed covers access tokens.
    await revocations.revokeSession(trx, tenantId, sessionId, Number(row.access_expires_at), now);
    await recordChange(trx, revocations.sessionChange(tenantId, sessionId), now);
    return true;
  }

  /**
   * Revokes every live session of a user but `exceptSessionId` (admin "sign out everywhere", a
   * password change or reset, an evicted unproven password). Returns how many live sessions ended.
   * One transaction for every session and the `user.sessions_revoked` entry (and its webhook
   * event): all of them end, with the event, or none does. `alsoIn` runs last in that transaction
   * (the change that ends the sessions, such as a new password, and its own audit entry); when it
   * throws, nothing happens and the error is the caller's.
   */
  async revokeAllOf(tenantId: string, userId: string, context: AuditContext = SYSTEM, exceptSessionId?: string, alsoIn?: (trx: Db, revoked: number) => Promise<void>): Promise<number> {
    const { db, audit, changes, revocations } = this.deps;
    const now = this.deps.now();
    const tenant = await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
    const settings = endUserSettings(await this.deps.tenants.get(tenant?.slug ?? ''));
    const ended: string[] = [];
    const count = await db.transaction().execute(async (trx) => {
      // In id order: two of these at once for one user lock the sessions in the same order (no deadlock).
      const open = await trx.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('id').execute();
      let live = 0;
      // Ended sessions (expired, idle) are revoked too, for good measure, but only live ones are counted.
      for (const row of open) {
        if (row.id === exceptSessionId || !(await this.revokeIn(trx, tenantId, row.id, now))) continue;
        ended.push(row.id);
        if (!sessionEnded(row, settings, now)) live++;
      }
      await audit.recordIn(trx, context, { tenantId, action: 'user.sessions_revoked', target: userId, detail: { sessions: live } });
      await alsoIn?.(trx, live);
      return live;
    });
    for (const sessionId of ended) changes.emit(revocations.sessionChange(tenantId, sessionId));
    return count;
  }

  /** Revokes one session of a user (admin). NotFound when the session is not the user's or has already been revoked. */
  async revokeOne(tenantId: string, userId: string, sessionId: string, context: AuditContext = SYSTEM): Promise<void> {
    const row = await this.deps.db.selectFrom('user_sessions').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('id', '=', sessionId).executeTakeFirst();
    const entry = (trx: Db) => this.deps.audit.recordIn(trx, context, { tenantId, action: 'user.session_revoked', target: userId, detail: { session: sessionId } });
    if (!row || !(await this.revoke(tenantId, sessionId, this.deps.now(), entry))) throw new NotFound('no such live session');
  }

  /** The user's sessions that still accept refreshes (not revoked, expired or idle), newest first. */
  async live(tenant: Tenant, userId: string): Promise<UserSession[]> {
    const settings = endUserSettings(tenant);
    const now = this.deps.now();
    const rows = await this.deps.db.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenant.id).where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').execute();
    return rows.filter((row) => !sessionEnded(row, settings, now)).map(userSessionOf);
  }

  /** Every session Keymint still keeps for the user, ended ones included, newest first. */
  async list(tenantId: string, userId: string): Promise<UserSession[]> {
    const rows = await this.deps.db.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
    return rows.map(userSessionOf);
  }
}
