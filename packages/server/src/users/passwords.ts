import type { SignInBudgets } from '../attempts/sign-in.js';
import { SYSTEM, type AuditLog } from '../audit/service.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import type { Db } from '../store/database.js';
import type { EndUserRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import type { Accounts } from './accounts.js';
import { END_USER_LIMITS, type Caller, type SessionTokens } from './model.js';
import { checkPasswordShape } from './password-shape.js';
import type { UserSessions } from './sessions.js';
import type { EndUserTokenCheck } from './token-check.js';

export interface PasswordDeps {
  db: Db;
  audit: AuditLog;
  now: () => number;
  /** The current password of a change is budgeted like a sign-in (KEYMINT_SIGNIN_*). */
  signInBudgets: SignInBudgets;
  /** A change is made from a live session. */
  tokenCheck: EndUserTokenCheck;
  /** A reset spends its code like a code sign-in. */
  accounts: Accounts;
  sessions: UserSessions;
}

/**
 * Changing and resetting end users' passwords (docs/end-users.md "Passwords"). Either way every
 * other session of the account ends: a password is changed because someone else may know the old
 * one, and their sessions must not outlive it.
 */
export class PasswordService {
  constructor(private readonly deps: PasswordDeps) {}

  /**
   * Signed in, with the current password: sets a new one and ends the account's other sessions
   * (the one making the change stays signed in). A concurrent change from another session wins
   * or loses as a whole: the update is conditional on the password it checked.
   */
  async change(tenant: Tenant, issuer: string, accessToken: string, input: { current_password: unknown; new_password: unknown }, caller: Caller): Promise<void> {
    const { user, session } = await this.deps.tokenCheck.authenticate(tenant, issuer, accessToken);
    const next = checkPasswordShape(input.new_password, 'new_password');
    if (typeof input.current_password !== 'string' || input.current_password.length > END_USER_LIMITS.password.max) {
      throw new InvalidRequest('current_password must be a string of at most 256 characters');
    }
    const row = await this.deps.db.selectFrom('end_users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    if (row.password_hash === null) throw new InvalidGrant('the account has no password yet: set one with a reset code (POST /auth/password/reset)');
    if (!(await this.passwordMatches(tenant, row, input.current_password, caller))) throw new InvalidGrant('the current password is wrong');
    const hash = await hashPassword(next);
    const now = this.deps.now();
    // One transaction: the new password, the other sessions ended and both events, or nothing.
    await this.deps.sessions.revokeAllOf(tenant.id, user.id, SYSTEM, session.id, async (trx, ended) => {
      const changed = await trx.updateTable('end_users').set({ password_hash: hash, updated_at: now })
        .where('id', '=', user.id).where('password_hash', '=', row.password_hash).executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) throw new InvalidGrant('the password was changed meanwhile: sign in again');
      await this.deps.audit.recordIn(trx, SYSTEM, { tenantId: tenant.id, action: 'user.password_changed', target: user.id, detail: { other_sessions_revoked: ended } });
    });
  }

  /**
   * With a code mailed to the address (`/auth/otp/start`): sets the password and signs in. The
   * code is spent exactly like a code sign-in (so it proves the email, creates the account where
   * there is none and sign-up is open, and evicts an unproven password); then every other session
   * of the account ends. Of concurrent resets with one code, exactly one succeeds. `jkt`: as for a
   * sign-in, the DPoP key the new session is bound to.
   */
  async reset(tenant: Tenant, issuer: string, input: { email: unknown; code: unknown; new_password: unknown }, caller: Caller, jkt: string | null = null): Promise<SessionTokens> {
    const next = checkPasswordShape(input.new_password, 'new_password');
    // Hashed before the code is spent: a slow hash after it would leave a signed-in session with the old password.
    const hash = await hashPassword(next);
    const tokens = await this.deps.accounts.verifyOtp(tenant, issuer, { email: input.email, code: input.code }, caller, jkt);
    const now = this.deps.now();
    await this.deps.sessions.revokeAllOf(tenant.id, tokens.user.id, SYSTEM, tokens.sessionId, async (trx, ended) => {
      await trx.updateTable('end_users').set({ password_hash: hash, updated_at: now }).where('id', '=', tokens.user.id).execute();
      await this.deps.audit.recordIn(trx, SYSTEM, { tenantId: tenant.id, action: 'user.password_reset', target: tokens.user.id, detail: { other_sessions_revoked: ended, ip: caller.ip } });
    });
    return tokens;
  }

  /**
   * The current password of a change, under the same failure budget as sign-in: a stolen access
   * token must not become a password oracle.
   */
  private async passwordMatches(tenant: Tenant, user: EndUserRow, password: string, caller: Caller): Promise<boolean> {
    try {
      await this.deps.signInBudgets.password({ realm: tenant.id, account: user.email_normalized, address: caller.ip }, async () => {
        if (!(await verifyPassword(password, user.password_hash))) {
          this.deps.audit.record({ actor: 'user', actorId: user.email_normalized, ip: caller.ip }, { tenantId: tenant.id, action: 'user.sign_in_failed', target: user.email_normalized });
          throw new InvalidGrant('the current password is wrong');
        }
      });
      return true;
    } catch (error) {
      // The attempt stays spent (a failure); a refusal (429) or an outage (503) goes up as it is.
      if (error instanceof InvalidGrant) return false;
      throw error;
    }
  }
}
