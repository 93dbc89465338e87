import { createAuthTokenVerifier, type AuthInfo, type AuthTokenVerifier } from '@keymint/sdk/node';
import { SYSTEM, type AuditContext, type AuditLog } from '../audit/service.js';
import { sha256 } from '../crypto/hash.js';
import { burnPasswordCheck, hashPassword, randomDigits, verifyPassword } from '../crypto/password.js';
import { newId } from '../crypto/random.js';
import { generateToken, hasValidFormat, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { Conflict, EmailNotVerified, InvalidGrant, InvalidRequest, InvalidToken, NotFound, TemporarilyUnavailable } from '../errors.js';
import type { KeyService } from '../keys/service.js';
import { toKeymintError } from '../http/errors.js';
import type { RevocationService } from '../revocation/service.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { EndUserRow, UserSessionRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import type { SignInBudgets, SignUpBudget } from '../attempts/sign-in.js';
import type { CodeMailer, CodePurpose } from './mailer.js';
import { spendCodeAttempt, storeCode } from './otp-codes.js';
import { displayEmail, normalizeEmail } from './email.js';
import { checkProofSettings, EmailProof } from './email-proof.js';
import { checkPasswordShape } from './passwords.js';
import { rotateRefreshToken } from './refresh.js';
import { accessExpiry, sessionEnded } from './session-state.js';
import {
  DEFAULT_END_USER_SETTINGS, END_USER_LIMITS, userDid, type EndUser, type EndUserSettings, type EndUserSummary, type SessionTokens, type TokenMode, type UserSession,
} from './model.js';

export interface UserServiceDeps {
  db: Db;
  tenants: TenantService;
  keys: KeyService;
  revocations: RevocationService;
  changes: ChangeFeed;
  audit: AuditLog;
  mailer: CodeMailer;
  now: () => number;
  /** Where a sign-up's failed verification mail is reported. */
  log?: { warn(object: object, message: string): void };
  /** Password, code and code-mail budgets per account and address (KEYMINT_SIGNIN_*). */
  signInBudgets: SignInBudgets;
  /** Sign-ups per address (KEYMINT_SIGNUPS_PER_ADDRESS). */
  signUpBudget: SignUpBudget;
  /** Keys refresh-token successors (crypto/refresh-successor.ts), derived from the master key. */
  successorKey: Buffer;
}

/** Where a request came from, for the failure budget and the audit log. */
export interface Caller {
  ip: string;
}

function toUser(row: EndUserRow): EndUser {
  return { id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: Number(row.created_at) };
}

function toSession(row: UserSessionRow): UserSession {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/**
 * End users of a tenant's app (DESIGN "End user"): accounts by email + password or emailed
 * one-time code, sessions with rotating refresh tokens and reuse detection, short-lived ES256
 * access tokens (`typ: JWT`) that app backends verify locally, and session revocation published
 * in the revocation feed so those tokens stop verifying everywhere.
 */
export class UserService {
  private readonly verifiers = new Map<string, AuthTokenVerifier>();
  /** Who owns an account: whoever proves the email (users/email-proof.ts). */
  readonly proof: EmailProof;

  constructor(private readonly deps: UserServiceDeps) {
    this.proof = new EmailProof({
      db: deps.db, audit: deps.audit, now: deps.now,
      revokeUserSessions: (tenantId, userId, context) => this.revokeUserSessions(tenantId, userId, context),
      spendCode: (tenant, email, code, ip) => this.spendCode(tenant, email, code, { ip }),
      revokeSession: (tenantId, userId, sessionId) => this.revokeUserSession(tenantId, userId, sessionId).catch(() => undefined),
    });
  }

  /** The tenant's end-user settings, defaults filled in. */
  settings(tenant: Tenant): EndUserSettings {
    return { ...DEFAULT_END_USER_SETTINGS, ...tenant.settings.endUsers };
  }

  /** Validates and stores end-user settings (admin API, CLI); applies on every node within a poll. */
  async updateSettings(slug: string, patch: Partial<EndUserSettings>, context: AuditContext = SYSTEM): Promise<EndUserSettings> {
    const tenant = await this.deps.tenants.get(slug);
    const next = { ...this.settings(tenant), ...patch };
    for (const name of ['accessTokenLifetime', 'sessionIdleTimeout', 'sessionAbsoluteLifetime', 'refreshReuseGrace'] as const) {
      const { min, max } = END_USER_LIMITS[name];
      const value = next[name];
      if (!Number.isInteger(value) || value < min || value > max) throw new InvalidRequest(`${name} must be a whole number of seconds from ${min} to ${max}`);
    }
    if (!(['bearer', 'cookie'] as TokenMode[]).includes(next.tokenMode)) throw new InvalidRequest('tokenMode must be bearer or cookie');
    if (!Array.isArray(next.allowedOrigins) || next.allowedOrigins.length > 50) throw new InvalidRequest('allowedOrigins must be a list of at most 50 origins');
    next.allowedOrigins = next.allowedOrigins.map(canonicalOrigin);
    checkProofSettings(next);
    await this.deps.tenants.storeEndUserSettings(slug, next);
    this.deps.audit.record(context, { tenantId: tenant.id, action: 'user.settings_updated', detail: { ...next } });
    return next;
  }

  /**
   * A password sign-up: the account's email is unproven (users/email-proof.ts) and a code is
   * mailed to it at once. A tenant that requires verified emails gets the account but no session
   * (EmailNotVerified) until the code comes back with the password.
   */
  async signUp(tenant: Tenant, issuer: string, input: { email: unknown; password: unknown }, caller: Caller): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    const password = checkPasswordShape(input.password);
    const settings = this.settings(tenant);
    this.proof.assertSignupOpen(settings);
    await this.deps.signUpBudget.reserve(tenant.id, caller.ip);
    const now = this.deps.now();
    const row: EndUserRow = {
      id: newId('usr'),
      tenant_id: tenant.id,
      email: displayEmail(input.email),
      email_normalized: email,
      password_hash: await hashPassword(password),
      email_verified_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.deps.db.insertInto('end_users').values(row).execute();
    } catch (error) {
      if (await this.findByEmail(tenant.id, email)) throw new Conflict('an account with this email already exists: sign in instead');
      throw error;
    }
    // The code that proves the email. The account exists either way: a failed mail (or a spent
    // send budget) only means the person asks for another code later.
    await this.startOtp(tenant, { email }, caller, 'verify').catch((error: unknown) => this.deps.log?.warn({ err: error }, 'the verification code of a sign-up was not sent'));
    if (settings.requireVerifiedEmail) {
      throw new EmailNotVerified('the account was created; this app requires a verified email: sign in with the password and the code mailed to the address');
    }
    return this.startSession(tenant, issuer, row);
  }

  async signIn(tenant: Tenant, issuer: string, input: { email: unknown; password: unknown; code?: unknown }, caller: Caller): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    if (typeof input.password !== 'string' || input.password.length > END_USER_LIMITS.password.max) throw new InvalidRequest('password must be a string of at most 256 characters');
    const password = input.password;
    const user = await this.deps.signInBudgets.password({ realm: tenant.id, account: email, address: caller.ip }, async () => {
      const found = await this.findByEmail(tenant.id, email);
      // The same work whether or not the account exists: the timing does not reveal it.
      const valid = found?.password_hash ? await verifyPassword(password, found.password_hash) : (await burnPasswordCheck(password), false);
      if (!found || !valid) {
        this.deps.audit.record({ actor: 'user', actorId: email, ip: caller.ip }, { tenantId: tenant.id, action: 'user.sign_in_failed', target: email });
        throw new InvalidGrant('wrong email or password');
      }
      return found;
    });
    const proven = await this.proof.afterPassword(tenant, this.settings(tenant), user, input.code, caller.ip);
    const tokens = await this.startSession(tenant, issuer, proven);
    await this.proof.confirmPasswordSession(tenant, proven, tokens.sessionId);
    return tokens;
  }

  /** Mails a one-time code; the answer is the same whether or not the email has an account. */
  async startOtp(tenant: Tenant, input: { email: unknown }, caller: Caller, purpose: CodePurpose = 'sign-in'): Promise<void> {
    const email = normalizeEmail(input.email);
    await this.deps.signInBudgets.codeSent({ realm: tenant.id, account: email, address: caller.ip });
    const code = randomDigits(END_USER_LIMITS.otp.digits);
    await storeCode(this.deps.db, tenant.id, email, code, this.deps.now());
    try {
      await this.deps.mailer.sendCode(email, code, { tenantName: tenant.name, minutes: END_USER_LIMITS.otp.lifetimeSeconds / 60, purpose });
    } catch {
      throw new TemporarilyUnavailable('the sign-in code could not be sent: try again later', 30);
    }
  }

  /** Exchanges a mailed code for a session; the first successful code sign-in creates the account. */
  async verifyOtp(tenant: Tenant, issuer: string, input: { email: unknown; code: unknown }, caller: Caller): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    if (typeof input.code !== 'string' || !/^\d{1,12}$/.test(input.code)) throw new InvalidRequest('code must be the digits that were mailed');
    if (!(await this.spendCode(tenant, email, input.code, caller))) throw new InvalidGrant('the code is wrong, used or expired');
    const now = this.deps.now();
    let user = await this.findByEmail(tenant.id, email);
    if (user) {
      user = await this.proof.provenByCodeSignIn(tenant, user);
    } else {
      this.proof.assertSignupOpen(this.settings(tenant));
      const row: EndUserRow = { id: newId('usr'), tenant_id: tenant.id, email: displayEmail(input.email), email_normalized: email, password_hash: null, email_verified_at: now, created_at: now, updated_at: now };
      try {
        await this.deps.db.insertInto('end_users').values(row).execute();
        user = row;
      } catch (error) {
        user = await this.findByEmail(tenant.id, email);
        if (!user) throw error;
        user = await this.proof.provenByCodeSignIn(tenant, user);
      }
    }
    return this.startSession(tenant, issuer, user);
  }

  /**
   * Spends a mailed code of this (normalised) email: true when it was right and is now used up.
   * Under the code budgets (an attempt reserved before the comparison, given back when right),
   * and each code is compared at most END_USER_LIMITS.otp.attempts times (users/otp-codes.ts).
   */
  async spendCode(tenant: Tenant, email: string, code: string, caller: Caller): Promise<boolean> {
    try {
      await this.deps.signInBudgets.code({ realm: tenant.id, account: email, address: caller.ip }, async () => {
        const outcome = await spendCodeAttempt(this.deps.db, tenant.id, email, code, this.deps.now());
        // Only codes really compared are audited: the count a burst test reads back.
        if (outcome === 'wrong') this.deps.audit.record({ actor: 'user', actorId: email, ip: caller.ip }, { tenantId: tenant.id, action: 'user.code_failed', target: email });
        if (outcome !== 'accepted') throw new InvalidGrant('the code is wrong, used or expired');
      });
      return true;
    } catch (error) {
      // The attempt stays spent (a failure); a refusal (429) or an outage (503) goes up as it is.
      if (error instanceof InvalidGrant) return false;
      throw error;
    }
  }

  /**
   * Exchanges a refresh token for new session tokens, spending it (RFC 9700 §4.14.2: rotation). A
   * token spent within the tenant's reuse grace is answered with the session's current refresh
   * token; one spent earlier means it leaked (or was replayed): the whole session is revoked, the
   * newest refresh token and every access token included (users/refresh.ts).
   */
  async refresh(tenant: Tenant, issuer: string, refreshToken: unknown): Promise<SessionTokens> {
    if (typeof refreshToken !== 'string' || refreshToken === '') throw new InvalidRequest('refresh_token is required');
    if (!hasValidFormat(refreshToken, TOKEN_PREFIXES.refreshToken)) throw new InvalidGrant('the refresh token is not valid');
    const now = this.deps.now();
    const outcome = await rotateRefreshToken(this.deps.db, { tenant, settings: this.settings(tenant), successorKey: this.deps.successorKey, token: refreshToken, now });
    if (outcome.kind === 'unknown') throw new InvalidGrant('the refresh token is not valid');
    if (outcome.kind === 'ended') throw new InvalidGrant(outcome.reason);
    if (outcome.kind === 'reused') {
      const revoked = await this.revokeSession(tenant.id, outcome.sessionId, now);
      if (revoked) this.deps.audit.record(SYSTEM, { tenantId: tenant.id, action: 'user.refresh_token_reused', target: outcome.sessionId });
      throw new InvalidGrant('the refresh token was already used: the session has been revoked');
    }
    return this.tokensFor(tenant, issuer, outcome.user, outcome.session.id, Number(outcome.session.expires_at), outcome.refreshToken, now);
  }

  /**
   * Verifies an end-user access token (the SDK verifier, keys from memory) and checks its
   * session is still live in the database.
   */
  async authenticate(tenant: Tenant, issuer: string, accessToken: string): Promise<{ info: AuthInfo; user: EndUser; session: UserSession }> {
    const info = await this.verifyAccessToken(tenant, issuer, accessToken);
    const row = await this.deps.db.selectFrom('user_sessions').selectAll().where('id', '=', info.sessionId).where('tenant_id', '=', tenant.id).executeTakeFirst();
    const ended = row ? sessionEnded(row, this.settings(tenant), this.deps.now()) : 'the session does not exist';
    if (!row || ended || row.user_id !== info.userId) throw new InvalidToken(ended ?? 'the session does not match the token');
    const user = await this.deps.db.selectFrom('end_users').selectAll().where('id', '=', row.user_id).executeTakeFirstOrThrow();
    return { info, user: toUser(user), session: toSession(row) };
  }

  /**
   * A password checked outside sign-in (the current password of a password change), under the
   * same failure budget as sign-in: a stolen access token must not become a password oracle.
   */
  async passwordMatches(tenant: Tenant, user: EndUserRow, password: string, caller: Caller): Promise<boolean> {
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

  /** The signed-in user enters the code mailed to their address: the email is proven, the password kept. */
  async verifyEmail(tenant: Tenant, issuer: string, accessToken: string, code: unknown, caller: Caller): Promise<void> {
    const { user } = await this.authenticate(tenant, issuer, accessToken);
    const row = await this.deps.db.selectFrom('end_users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    await this.proof.provenWithPassword(tenant, row, code, caller.ip);
  }

  /** The claims of an end-user access token of this tenant (signature, issuer, audience, type, expiry), session not checked. */
  async verifyAccessToken(tenant: Tenant, issuer: string, accessToken: string): Promise<AuthInfo> {
    try {
      return await this.verifierFor(tenant, issuer).verifyAuthToken(accessToken);
    } catch (error) {
      throw toKeymintError(error);
    }
  }

  /**
   * Revokes every live session of a user (admin: "sign out everywhere"); their access tokens are
   * published in the revocation feed until they expire. Returns how many sessions ended.
   */
  async revokeUserSessions(tenantId: string, userId: string, context: AuditContext = SYSTEM, exceptSessionId?: string): Promise<number> {
    const now = this.deps.now();
    const tenant = await this.deps.db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
    const settings = this.settings(await this.deps.tenants.get(tenant?.slug ?? ''));
    const open = await this.deps.db.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    let count = 0;
    // Ended sessions (expired, idle) are revoked too, for good measure, but only live ones are counted.
    for (const row of open) if (row.id !== exceptSessionId && (await this.revokeSession(tenantId, row.id, now)) && !sessionEnded(row, settings, now)) count++;
    this.deps.audit.record(context, { tenantId, action: 'user.sessions_revoked', target: userId, detail: { sessions: count } });
    return count;
  }

  async list(tenantId: string, limit = 100): Promise<EndUser[]> {
    const rows = await this.deps.db.selectFrom('end_users').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map(toUser);
  }

  /**
   * A page of the tenant's users, newest first, each with its last sign-in (the newest session
   * Keymint still keeps: ended sessions are purged). `before` is the id of the last user of the
   * previous page; `next` is set when more users follow.
   */
  async listPage(tenantId: string, options: { limit: number; before?: string; email?: string }): Promise<{ users: EndUserSummary[]; next: string | null }> {
    const { db } = this.deps;
    let query = db
      .selectFrom('end_users')
      .select(['id', 'email', 'email_verified_at', 'created_at'])
      .select((eb) => eb.selectFrom('user_sessions').select((s) => s.fn.max('user_sessions.created_at').as('last')).whereRef('user_sessions.user_id', '=', 'end_users.id').as('last_sign_in_at'))
      .where('tenant_id', '=', tenantId);
    if (options.email !== undefined) query = query.where('email_normalized', '=', normalizeEmail(options.email));
    if (options.before !== undefined) {
      const cursor = await db.selectFrom('end_users').select(['created_at']).where('tenant_id', '=', tenantId).where('id', '=', options.before).executeTakeFirst();
      if (!cursor) throw new InvalidRequest('before must be the id of a user of this tenant');
      const at = Number(cursor.created_at);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', options.before!)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1).execute();
    const page = rows.slice(0, options.limit);
    return {
      users: page.map((row) => ({ id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: Number(row.created_at), lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at) })),
      next: rows.length > options.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** A user of the tenant, or NotFound (also for another tenant's user). */
  async getUser(tenantId: string, userId: string): Promise<EndUser> {
    const row = await this.deps.db.selectFrom('end_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst();
    if (!row) throw new NotFound('no such end user');
    return toUser(row);
  }

  /** The user's sessions that still accept refreshes (not revoked, expired or idle), newest first. */
  async liveSessions(tenant: Tenant, userId: string): Promise<UserSession[]> {
    const settings = this.settings(tenant);
    const now = this.deps.now();
    const rows = await this.deps.db.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenant.id).where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').execute();
    return rows.filter((row) => !sessionEnded(row, settings, now)).map(toSession);
  }

  /**
   * Revokes one session of a user (admin). Its access tokens are published in the revocation feed
   * like on sign-out. NotFound when the session is not the user's or has already been revoked.
   */
  async revokeUserSession(tenantId: string, userId: string, sessionId: string, context: AuditContext = SYSTEM): Promise<void> {
    const row = await this.deps.db.selectFrom('user_sessions').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('id', '=', sessionId).executeTakeFirst();
    if (!row || !(await this.revokeSession(tenantId, sessionId, this.deps.now()))) throw new NotFound('no such live session');
    this.deps.audit.record(context, { tenantId, action: 'user.session_revoked', target: userId, detail: { session: sessionId } });
  }

  async findUserByEmail(tenantId: string, email: string): Promise<EndUser | null> {
    const row = await this.findByEmail(tenantId, normalizeEmail(email));
    return row ? toUser(row) : null;
  }

  /** Like findUserByEmail, but a missing user is a NotFound (404, CLI error). */
  async userByEmail(tenantId: string, email: string): Promise<EndUser> {
    const user = await this.findUserByEmail(tenantId, email);
    if (!user) throw new NotFound(`no end user ${email}`);
    return user;
  }

  async sessions(tenantId: string, userId: string): Promise<UserSession[]> {
    const rows = await this.deps.db.selectFrom('user_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
    return rows.map(toSession);
  }

  /**
   * Deletes sessions past their absolute end or revoked with no access token left alive (their
   * refresh tokens with them) and expired sign-in codes. Spent refresh tokens of live sessions
   * stay: they are what reuse detection compares against.
   */
  async purgeExpired(): Promise<number> {
    const now = this.deps.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const ended = trx.selectFrom('user_sessions').select('id').where((eb) => eb.or([
        eb('expires_at', '<=', now),
        eb.and([eb('revoked_at', 'is not', null), eb('access_expires_at', '<=', now)]),
      ]));
      await trx.deleteFrom('refresh_tokens').where('session_id', 'in', ended).execute();
      const deleted = await trx.deleteFrom('user_sessions').where('id', 'in', ended).executeTakeFirst();
      await trx.deleteFrom('otp_codes').where('expires_at', '<=', now).execute();
      return Number(deleted.numDeletedRows);
    });
  }

  close(): void {
    for (const verifier of this.verifiers.values()) verifier.close();
    this.deps.mailer.close();
  }

  /** Marks the session revoked and lists it in the revocation feed; false when it already was (sign-out, RFC 7009: users/session-credentials.ts). */
  async revokeSession(tenantId: string, sessionId: string, now: number): Promise<boolean> {
    const { db, revocations, changes } = this.deps;
    const revoked = await db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('user_sessions').set({ revoked_at: now }).where('id', '=', sessionId).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      // Read under the row lock the UPDATE took: a refresh that committed first has already moved it.
      const row = await trx.selectFrom('user_sessions').select('access_expires_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
      // Refresh tokens of a revoked session are refused by the session check; the feed covers access tokens.
      await revocations.revokeSession(trx, tenantId, sessionId, Number(row.access_expires_at), now);
      await recordChange(trx, revocations.sessionChange(tenantId, sessionId), now);
      return true;
    });
    if (revoked) changes.emit(revocations.sessionChange(tenantId, sessionId));
    return revoked;
  }

  /** Opens a session for a user whose credentials were just checked (also users/passwords.ts). */
  async startSession(tenant: Tenant, issuer: string, user: EndUserRow): Promise<SessionTokens> {
    const now = this.deps.now();
    const settings = this.settings(tenant);
    const sessionId = newId('ses');
    const expiresAt = now + settings.sessionAbsoluteLifetime * 1000;
    const refreshToken = generateToken(TOKEN_PREFIXES.refreshToken);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('user_sessions').values({
        id: sessionId, tenant_id: tenant.id, user_id: user.id, created_at: now, last_used_at: now, expires_at: expiresAt,
        access_expires_at: accessExpiry(now, settings), revoked_at: null,
      }).execute();
      await trx.insertInto('refresh_tokens').values({ token_hash: sha256(refreshToken), session_id: sessionId, tenant_id: tenant.id, created_at: now, used_at: null }).execute();
    });
    return this.tokensFor(tenant, issuer, user, sessionId, expiresAt, refreshToken, now);
  }

  private async tokensFor(tenant: Tenant, issuer: string, user: EndUserRow, sessionId: string, sessionExpiresAt: number, refreshToken: string, nowMs: number): Promise<SessionTokens> {
    const ring = await this.deps.keys.ring(tenant.id);
    const settings = this.settings(tenant);
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + settings.accessTokenLifetime;
    const sub = userDid(user.id);
    const emailVerified = user.email_verified_at !== null;
    const [accessToken, identityToken] = await Promise.all([
      ring.userTokenSigner.sign({ iss: issuer, sub, aud: tenant.appId, sid: sessionId, iat, exp, email_verified: emailVerified }),
      // OpenID Connect Core §5.1: email_verified says whether the owner of `email` proved it.
      ring.identityTokenSigner.sign({ iss: issuer, sub, aud: tenant.appId, sid: sessionId, iat, exp, email: user.email, email_verified: emailVerified, auth_time: iat }),
    ]);
    return {
      accessToken,
      identityToken,
      refreshToken,
      expiresIn: settings.accessTokenLifetime,
      user: { id: user.id, email: user.email, email_verified: emailVerified },
      sessionId,
      sessionExpiresAt,
      refreshReuseGrace: settings.refreshReuseGrace,
    };
  }

  private async findByEmail(tenantId: string, email: string): Promise<EndUserRow | undefined> {
    return this.deps.db.selectFrom('end_users').selectAll().where('tenant_id', '=', tenantId).where('email_normalized', '=', email).executeTakeFirst();
  }

  /** The SDK's end-user verifier for this tenant, with its keys from memory (no HTTP to ourselves). */
  private verifierFor(tenant: Tenant, issuer: string): AuthTokenVerifier {
    const key = `${tenant.id} ${issuer}`;
    let verifier = this.verifiers.get(key);
    if (!verifier) {
      verifier = createAuthTokenVerifier({
        issuer,
        appId: tenant.appId,
        getKey: async (header, token) => (await this.deps.keys.ring(tenant.id)).verificationKeys(header, token),
        // Revocation is checked against the session row instead; results are not cached for the same reason.
        revocationPollMs: false,
        cacheSize: 0,
        now: this.deps.now,
      });
      this.verifiers.set(key, verifier);
    }
    return verifier;
  }
}

/** `scheme://host[:port]` exactly as browsers send it in the Origin header. */
export function canonicalOrigin(origin: unknown): string {
  if (typeof origin !== 'string') throw new InvalidRequest('each allowed origin must be a string');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new InvalidRequest(`${origin} is not an origin such as https://app.example.com`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin.replace(/\/$/, '')) {
    throw new InvalidRequest(`${origin} is not an origin such as https://app.example.com (scheme, host and port only)`);
  }
  return url.origin;
}
