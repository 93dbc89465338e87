import type { SignInBudgets, SignUpBudget } from '../attempts/sign-in.js';
import type { AuditLog } from '../audit/service.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../crypto/password.js';
import { newId } from '../crypto/random.js';
import { Conflict, EmailNotVerified, InvalidGrant, InvalidRequest } from '../errors.js';
import type { Db } from '../store/database.js';
import type { EndUserRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import { findByEmail } from './directory.js';
import { displayEmail, normalizeEmail } from './email.js';
import type { EmailProof } from './email-proof.js';
import { END_USER_LIMITS, type Caller, type SessionTokens } from './model.js';
import type { OneTimeCodes } from './otp-codes.js';
import { checkPasswordShape } from './password-shape.js';
import type { SessionIssuer } from './session-issuer.js';
import { endUserSettings } from './settings.js';
import type { EndUserTokenCheck } from './token-check.js';

export interface AccountsDeps {
  db: Db;
  audit: AuditLog;
  now: () => number;
  /** Where a sign-up's failed verification mail is reported. */
  log?: { warn(object: object, message: string): void } | undefined;
  /** The password budget per account and address (KEYMINT_SIGNIN_*). */
  signInBudgets: SignInBudgets;
  /** Sign-ups per address (KEYMINT_SIGNUPS_PER_ADDRESS). */
  signUpBudget: SignUpBudget;
  codes: OneTimeCodes;
  proof: EmailProof;
  issuer: SessionIssuer;
  tokenCheck: EndUserTokenCheck;
}

/**
 * End users' accounts and how they get in (DESIGN "End user"): sign-up with email and password,
 * sign-in with the password or with an emailed one-time code (the first code sign-in creates the
 * account), and proving the email while signed in. Whoever proves the email owns the account
 * (users/email-proof.ts).
 */
export class Accounts {
  constructor(private readonly deps: AccountsDeps) {}

  /**
   * A password sign-up: the account's email is unproven (users/email-proof.ts) and a code is
   * mailed to it at once. A tenant that requires verified emails gets the account but no session
   * (EmailNotVerified) until the code comes back with the password.
   *
   * `jkt` (here, in signIn and verifyOtp): the thumbprint of the request's verified DPoP proof
   * key; the session opened is bound to it (RFC 9449 §5), null opens a Bearer session.
   */
  async signUp(tenant: Tenant, issuer: string, input: { email: unknown; password: unknown }, caller: Caller, jkt: string | null = null): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    const password = checkPasswordShape(input.password);
    const settings = endUserSettings(tenant);
    this.deps.proof.assertSignupOpen(settings);
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
      if (await findByEmail(this.deps.db, tenant.id, email)) throw new Conflict('an account with this email already exists: sign in instead');
      throw error;
    }
    // The code that proves the email. The account exists either way: a failed mail (or a spent
    // send budget) only means the person asks for another code later.
    await this.deps.codes.send(tenant, email, caller, 'verify').catch((error: unknown) => this.deps.log?.warn({ err: error }, 'the verification code of a sign-up was not sent'));
    if (settings.requireVerifiedEmail) {
      throw new EmailNotVerified('the account was created; this app requires a verified email: sign in with the password and the code mailed to the address');
    }
    return this.deps.issuer.start(tenant, issuer, row, jkt);
  }

  async signIn(tenant: Tenant, issuer: string, input: { email: unknown; password: unknown; code?: unknown }, caller: Caller, jkt: string | null = null): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    if (typeof input.password !== 'string' || input.password.length > END_USER_LIMITS.password.max) throw new InvalidRequest('password must be a string of at most 256 characters');
    const password = input.password;
    const user = await this.deps.signInBudgets.password({ realm: tenant.id, account: email, address: caller.ip }, async () => {
      const found = await findByEmail(this.deps.db, tenant.id, email);
      // The same work whether or not the account exists: the timing does not reveal it.
      const valid = found?.password_hash ? await verifyPassword(password, found.password_hash) : (await burnPasswordCheck(password), false);
      if (!found || !valid) {
        this.deps.audit.record({ actor: 'user', actorId: email, ip: caller.ip }, { tenantId: tenant.id, action: 'user.sign_in_failed', target: email });
        throw new InvalidGrant('wrong email or password');
      }
      return found;
    });
    const proven = await this.deps.proof.afterPassword(tenant, endUserSettings(tenant), user, input.code, caller.ip);
    const tokens = await this.deps.issuer.start(tenant, issuer, proven, jkt);
    await this.deps.proof.confirmPasswordSession(tenant, proven, tokens.sessionId);
    return tokens;
  }

  /** Exchanges a mailed code for a session; the first successful code sign-in creates the account. */
  async verifyOtp(tenant: Tenant, issuer: string, input: { email: unknown; code: unknown }, caller: Caller, jkt: string | null = null): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    if (typeof input.code !== 'string' || !/^\d{1,12}$/.test(input.code)) throw new InvalidRequest('code must be the digits that were mailed');
    if (!(await this.deps.codes.spend(tenant, email, input.code, caller))) throw new InvalidGrant('the code is wrong, used or expired');
    const { db, proof } = this.deps;
    const now = this.deps.now();
    let user = await findByEmail(db, tenant.id, email);
    if (user) {
      user = await proof.provenByCodeSignIn(tenant, user);
    } else {
      proof.assertSignupOpen(endUserSettings(tenant));
      const row: EndUserRow = { id: newId('usr'), tenant_id: tenant.id, email: displayEmail(input.email), email_normalized: email, password_hash: null, email_verified_at: now, created_at: now, updated_at: now };
      try {
        await db.insertInto('end_users').values(row).execute();
        user = row;
      } catch (error) {
        user = await findByEmail(db, tenant.id, email);
        if (!user) throw error;
        user = await proof.provenByCodeSignIn(tenant, user);
      }
    }
    return this.deps.issuer.start(tenant, issuer, user, jkt);
  }

  /** The signed-in user enters the code mailed to their address: the email is proven, the password kept. */
  async verifyEmail(tenant: Tenant, issuer: string, accessToken: string, code: unknown, caller: Caller): Promise<void> {
    const { user } = await this.deps.tokenCheck.authenticate(tenant, issuer, accessToken);
    const row = await this.deps.db.selectFrom('end_users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    await this.deps.proof.provenWithPassword(tenant, row, code, caller.ip);
  }

  /** Mails the signed-in user a code that proves their email. */
  async startEmailProof(tenant: Tenant, issuer: string, accessToken: string, caller: Caller): Promise<void> {
    const { user } = await this.deps.tokenCheck.authenticate(tenant, issuer, accessToken);
    await this.deps.codes.send(tenant, user.email, caller, 'verify');
  }
}
