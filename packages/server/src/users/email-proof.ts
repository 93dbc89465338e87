import { SYSTEM, type AuditLog } from '../audit/service.js';
import { EmailNotVerified, InvalidGrant, InvalidRequest, SignupClosed } from '../errors.js';
import type { Db } from '../store/database.js';
import type { EndUserRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import type { EndUserSettings } from './model.js';
import type { OneTimeCodes } from './otp-codes.js';
import type { UserSessions } from './sessions.js';

/**
 * Accounts belong to whoever proves the email (issue 14; account pre-hijacking, Sudhodanan &
 * Paverd, USENIX Security 2022). A password sign-up proves nothing: anyone can type anyone's
 * address. The email is proven by a mailed code, and what the proof does depends on who
 * brings it:
 * - a code sign-in (no password): the mailbox owner. A password set before the email was ever
 *   proven is someone else's guess at owning it: it is removed and its sessions end.
 * - the code together with the password (sign-in with `code`, or `/auth/email/verify` while
 *   signed in): the password holder owns the mailbox too, so the password stays.
 */
export interface EmailProofDeps {
  db: Db;
  audit: AuditLog;
  now: () => number;
  /** An eviction ends the sessions the unproven password opened. */
  sessions: UserSessions;
  /** The mailed code that proves the email. */
  codes: OneTimeCodes;
}

/** A concurrent code sign-in proved the email first: the eviction it did stands, this one is rolled back. */
class AlreadyProven extends Error {}

export class EmailProof {
  constructor(private readonly deps: EmailProofDeps) {}

  /** Sign-up (password or first code sign-in) is refused when the tenant closed it. */
  assertSignupOpen(settings: EndUserSettings): void {
    if (settings.signup === 'closed') throw new SignupClosed('sign-up is closed for this app: ask its operator for an account');
  }

  /**
   * A code sign-in proved the mailbox. If the email was never proven before, the account's
   * password (set by whoever signed up) is removed and every session it opened ends, in one
   * conditional update so that two concurrent proofs evict once. Returns the row as it now is.
   */
  async provenByCodeSignIn(tenant: Tenant, user: EndUserRow): Promise<EndUserRow> {
    if (user.email_verified_at !== null) return user;
    const now = this.deps.now();
    const prove = (trx: Db) => trx.updateTable('end_users').set({ email_verified_at: now, password_hash: null, updated_at: now })
      .where('id', '=', user.id).where('email_verified_at', 'is', null).executeTakeFirst();
    if (user.password_hash === null) await prove(this.deps.db);
    else {
      // The eviction, the sessions it ends and its event are one transaction; a concurrent proof
      // that got there first leaves this one nothing to do (rolled back, not an error).
      await this.deps.sessions.revokeAllOf(tenant.id, user.id, SYSTEM, undefined, async (trx, sessions) => {
        if (Number((await prove(trx)).numUpdatedRows) !== 1) throw new AlreadyProven();
        await this.deps.audit.recordIn(trx, SYSTEM, { tenantId: tenant.id, action: 'user.unproven_password_removed', target: user.id, detail: { sessions_revoked: sessions } });
      }).catch((error: unknown) => {
        if (!(error instanceof AlreadyProven)) throw error;
      });
    }
    return this.reload(user.id);
  }

  /**
   * After a right password: a `code` given with it proves the email and keeps the password;
   * without one, a tenant that requires verified emails refuses an unproven account.
   */
  async afterPassword(tenant: Tenant, settings: EndUserSettings, user: EndUserRow, code: unknown, ip: string): Promise<EndUserRow> {
    if (user.email_verified_at !== null) return user;
    if (code !== undefined) return this.provenWithPassword(tenant, user, code, ip);
    if (settings.requireVerifiedEmail) {
      throw new EmailNotVerified('this app requires a verified email: sign in again with the code mailed to the address (send "code", or use a code sign-in)');
    }
    return user;
  }

  /**
   * Closes the race between a password sign-in and an eviction (or a change or reset): a session
   * opened with a password that is no longer the account's, because it was replaced while the
   * session was being opened, is revoked at once and the sign-in fails like a wrong password.
   * The eviction revokes every session that exists when it runs; this catches the one inserted
   * just after.
   */
  async confirmPasswordSession(tenant: Tenant, user: EndUserRow, sessionId: string): Promise<void> {
    const now = await this.deps.db.selectFrom('end_users').select('password_hash').where('id', '=', user.id).executeTakeFirst();
    if (now?.password_hash === user.password_hash) return;
    // Already ended is fine: the point is that it does not live on.
    await this.deps.sessions.revokeOne(tenant.id, user.id, sessionId).catch(() => undefined);
    throw new InvalidGrant('wrong email or password');
  }

  /** The signed-in password holder entered a mailed code: the email is proven, the password stays. */
  async provenWithPassword(tenant: Tenant, user: EndUserRow, code: unknown, ip: string): Promise<EndUserRow> {
    if (typeof code !== 'string' || !/^\d{1,12}$/.test(code)) throw new InvalidRequest('code must be the digits that were mailed');
    if (!(await this.deps.codes.spend(tenant, user.email_normalized, code, { ip }))) throw new InvalidGrant('the code is wrong, used or expired');
    if (user.email_verified_at === null) {
      const now = this.deps.now();
      await this.deps.db.transaction().execute(async (trx) => {
        const proven = await trx.updateTable('end_users').set({ email_verified_at: now, updated_at: now }).where('id', '=', user.id).where('email_verified_at', 'is', null).executeTakeFirst();
        if (Number(proven.numUpdatedRows) === 1) await this.deps.audit.recordIn(trx, SYSTEM, { tenantId: tenant.id, action: 'user.email_verified', target: user.id });
      });
    }
    return this.reload(user.id);
  }

  private async reload(userId: string): Promise<EndUserRow> {
    return this.deps.db.selectFrom('end_users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
  }
}

