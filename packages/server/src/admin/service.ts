import type { AuditContext, AuditLog } from '../audit/service.js';
import { safeEqual, sha256 } from '../crypto/hash.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';
import { newId, randomKey } from '../crypto/random.js';
import { generateToken, hasValidFormat, tokenHint, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { Conflict, Forbidden, InvalidRequest, InvalidToken, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import type { InRevocation } from '../leaks/service.js';
import type { AdminAccountRow, AdminTokenRow } from '../store/schema.js';
import { ADMIN_LIMITS, ADMIN_ROLES, type AdminAccount, type AdminPrincipal, type AdminRole, type AdminTokenInfo } from './model.js';
import type { SignInBudgets } from '../attempts/sign-in.js';
import { createFirstOwner } from './first-owner.js';
import { normalizeEmail } from '../users/email.js';


function toAccount(row: AdminAccountRow): AdminAccount {
  return { id: row.id, email: row.email, role: row.role as AdminRole, tenantId: row.tenant_id, hasPassword: row.password_hash !== null, createdAt: Number(row.created_at) };
}

function toTokenInfo(row: AdminTokenRow): AdminTokenInfo {
  return {
    id: row.id, name: row.name, hint: row.hint, role: row.role as AdminRole, tenantId: row.tenant_id, createdBy: row.created_by,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

function validRole(role: string | undefined): AdminRole {
  const value = role ?? 'owner';
  if (!(ADMIN_ROLES as readonly string[]).includes(value)) throw new InvalidRequest(`role must be one of: ${ADMIN_ROLES.join(', ')}`);
  return value as AdminRole;
}

function validPassword(password: string): string {
  if (password.length < ADMIN_LIMITS.minPasswordLength || password.length > 1024) {
    throw new InvalidRequest(`the password must be ${ADMIN_LIMITS.minPasswordLength}-1024 characters`);
  }
  return password;
}

/** A random value for a cookie or link: 256 bits, base64url. */
/**
 * The account name a sign-in looks up and budgets: the one email form (users/email.ts), so
 * `é` typed precomposed or decomposed is one account and one attempt budget. A malformed email
 * names no account: it fails as a wrong password does (the same 401, after the same work).
 */
function signInName(text: string): string {
  try {
    return normalizeEmail(text);
  } catch {
    return text.trim().toLowerCase();
  }
}

function secretValue(): string {
  return randomKey(32).toString('base64url');
}

export interface NewSession {
  /** The cookie value: returned once, stored as SHA-256 only. */
  sessionId: string;
  /** Echoed by the console in X-CSRF-Token on every unsafe request. */
  csrfToken: string;
  account: AdminAccount;
  expiresAt: number;
}

/**
 * Admin accounts, console sessions, one-time setup links and admin API tokens (`kmo_`).
 * Sessions and tokens are read from the database on each admin request: admin traffic is
 * light, and a revoked token or ended session then stops working on every node at once.
 */
export class AdminService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    /** Password attempts per account and address, per account, per address (KEYMINT_ADMIN_SIGNIN_*). */
    private readonly budgets: SignInBudgets,
    /** Console sessions end after this long without a request (KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT). */
    private readonly sessionIdleMs: number = ADMIN_LIMITS.sessionIdleMs,
  ) {}

  async hasAccounts(): Promise<boolean> {
    return (await this.db.selectFrom('admin_accounts').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  /**
   * `keymint admin create`: an account with a password, or without one and a one-time setup
   * link (the returned token) for the person to choose it.
   */
  async createAccount(input: { email: string; password?: string; role?: string; tenantId?: string | null }, context: AuditContext): Promise<{ account: AdminAccount; setupToken: string | null }> {
    const email = normalizeEmail(input.email);
    const role = validRole(input.role);
    const passwordHash = input.password === undefined ? null : await hashPassword(validPassword(input.password));
    const now = this.now();
    const row: AdminAccountRow = { id: newId('adm'), email, password_hash: passwordHash, role, tenant_id: input.tenantId ?? null, created_at: now, updated_at: now };
    if (await this.db.selectFrom('admin_accounts').select('id').where('email', '=', email).executeTakeFirst()) {
      throw new Conflict(`an admin account for ${email} already exists`);
    }
    // The account, its setup link and the admin.created entry (and webhook event) commit together.
    const setupToken = await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('admin_accounts').values(row).execute();
      const token = passwordHash === null ? await this.insertSetupToken(trx, row.id) : null;
      await this.audit.recordIn(trx, context, { tenantId: row.tenant_id, action: 'admin.created', target: email, detail: { role, tenant_id: row.tenant_id } });
      return token;
    });
    return { account: toAccount(row), setupToken };
  }

  /** The first-start link: only while no admin account exists (server.ts prints it). */
  async bootstrapLink(): Promise<string | null> {
    if (await this.hasAccounts()) return null;
    return this.insertSetupToken(this.db, null);
  }

  /** What a setup page needs to know about a link, without using it. */
  async inspectSetup(token: string): Promise<{ email: string | null; expiresAt: number }> {
    const row = await this.usableSetupToken(token);
    const account = row.account_id === null ? null : await this.db.selectFrom('admin_accounts').select('email').where('id', '=', row.account_id).executeTakeFirst();
    return { email: account?.email ?? null, expiresAt: Number(row.expires_at) };
  }

  /**
   * Uses a setup link once: sets the password of the account it was made for, or (the
   * bootstrap link) creates the first global owner. Returns a signed-in session.
   */
  async completeSetup(input: { token: string; email?: string; password: string }, ip: string | null): Promise<NewSession> {
    const row = await this.usableSetupToken(input.token);
    let ownerEmail = '';
    if (row.account_id === null) {
      // A bootstrap link left over from an earlier start is void once someone has set up an owner.
      if (await this.hasAccounts()) throw new InvalidRequest('this setup link is no longer valid: an admin account exists');
      if (!input.email) throw new InvalidRequest('an email is required to create the first admin account');
      ownerEmail = normalizeEmail(input.email);
    }
    const passwordHash = await hashPassword(validPassword(input.password));
    const now = this.now();
    let accountId = row.account_id;
    if (accountId === null) {
      const email = ownerEmail;
      const context: AuditContext = { actor: 'admin', actorId: email, ip };
      const owner = await createFirstOwner(this.db, { tokenHash: row.token_hash, email, passwordHash }, now, async (trx) => {
        await this.audit.recordIn(trx, context, { tenantId: null, action: 'admin.created', target: email, detail: { role: 'owner', tenant_id: null } });
        await this.audit.recordIn(trx, context, { tenantId: null, action: 'admin.setup_completed', target: email });
      });
      accountId = owner.id;
    } else {
      const id = accountId;
      // Spent first, atomically: two requests with one link cannot both get through. The password and
      // the admin.setup_completed entry (and its webhook event) commit with the spend.
      await this.db.transaction().execute(async (trx) => {
        const spent = await trx.updateTable('admin_setup_tokens').set({ used_at: now }).where('token_hash', '=', row.token_hash).where('used_at', 'is', null).executeTakeFirst();
        if (Number(spent.numUpdatedRows) !== 1) throw new InvalidRequest('this setup link has already been used');
        await trx.updateTable('admin_accounts').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
        const { email, tenant_id: tenantId } = await trx.selectFrom('admin_accounts').select(['email', 'tenant_id']).where('id', '=', id).executeTakeFirstOrThrow();
        await this.audit.recordIn(trx, { actor: 'admin', actorId: email, ip }, { tenantId, action: 'admin.setup_completed', target: email });
      });
    }
    const account = toAccount((await this.db.selectFrom('admin_accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow()));
    return this.startSession(account);
  }

  /**
   * Email + password → session; the same 401 for any failure. The password is checked only under
   * an attempt reserved first (429 past a budget), so a burst checks at most the budget.
   */
  async signIn(emailText: string, password: string, ip: string): Promise<NewSession> {
    const email = signInName(emailText);
    const row = await this.budgets.password({ realm: 'admin', account: email, address: ip }, async () => {
      const found = await this.db.selectFrom('admin_accounts').selectAll().where('email', '=', email).executeTakeFirst();
      // verifyPassword does the full scrypt work for unknown emails too: the time does not tell.
      const ok = await verifyPassword(password, found?.password_hash ?? null);
      if (!found || !ok) {
        this.audit.record({ actor: 'admin', actorId: email, ip }, { tenantId: found?.tenant_id ?? null, action: 'admin.sign_in_failed', target: email });
        throw new InvalidToken('wrong email or password');
      }
      return found;
    });
    const account = toAccount(row);
    return this.startSession(account, (trx) => this.audit.recordIn(trx, { actor: 'admin', actorId: email, ip }, { tenantId: account.tenantId, action: 'admin.signed_in', target: email }));
  }

  /**
   * Ends a console session. The entry names the admin's tenant, like admin.signed_in, so a tenant
   * admin's sign-out reaches that tenant's webhooks (entries of no tenant are delivered nowhere);
   * it commits with the deletion.
   */
  async signOut(sessionId: string, context: AuditContext): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const session = await trx.selectFrom('admin_sessions').innerJoin('admin_accounts', 'admin_accounts.id', 'admin_sessions.account_id')
        .select('admin_accounts.tenant_id').where('admin_sessions.id_hash', '=', sha256(sessionId)).executeTakeFirst();
      await trx.deleteFrom('admin_sessions').where('id_hash', '=', sha256(sessionId)).execute();
      await this.audit.recordIn(trx, context, { tenantId: session?.tenant_id ?? null, action: 'admin.signed_out', target: context.actorId ?? null });
    });
  }

  /** The principal of a session cookie, or null when unknown or expired. */
  async resolveSession(sessionId: string): Promise<AdminPrincipal | null> {
    const row = await this.db
      .selectFrom('admin_sessions')
      .innerJoin('admin_accounts', 'admin_accounts.id', 'admin_sessions.account_id')
      .select(['admin_accounts.email', 'admin_accounts.role', 'admin_accounts.tenant_id', 'admin_sessions.csrf_hash', 'admin_sessions.expires_at', 'admin_sessions.created_at', 'admin_sessions.last_used_at'])
      .where('admin_sessions.id_hash', '=', sha256(sessionId))
      .executeTakeFirst();
    const now = this.now();
    if (!row || Number(row.expires_at) <= now) return null;
    // An unattended console signs itself out (OWASP ASVS 5.0 V7.3.1): idle time counts from the last request.
    const lastUsed = Number(row.last_used_at ?? row.created_at);
    if (lastUsed + this.sessionIdleMs <= now) {
      await this.db.deleteFrom('admin_sessions').where('id_hash', '=', sha256(sessionId)).execute();
      return null;
    }
    // To the second is enough and spares a write on every request of a busy console page.
    if (now - lastUsed >= 1_000) await this.db.updateTable('admin_sessions').set({ last_used_at: now }).where('id_hash', '=', sha256(sessionId)).execute();
    return { email: row.email, role: row.role as AdminRole, tenantId: row.tenant_id, via: 'session', csrfHash: row.csrf_hash };
  }

  /** Constant-time check of the header a console request echoes. */
  csrfMatches(principal: AdminPrincipal, presented: string | undefined): boolean {
    return presented !== undefined && principal.csrfHash !== undefined && safeEqual(sha256(presented), principal.csrfHash);
  }

  /**
   * The session's CSRF token, derived from the cookie value: the console can fetch it again
   * after a reload (GET /admin/v1/session) without any write, and another origin cannot read it.
   */
  csrfTokenOf(sessionId: string): string {
    return sha256(`csrf\n${sessionId}`);
  }

  /** Admin API token, acting with `role` (at most the creator's) within the creator's tenant reach. */
  async createToken(creator: AdminPrincipal, input: { name: string; role?: string; expires_in?: number }, context: AuditContext): Promise<{ info: AdminTokenInfo; token: string }> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 200) throw new InvalidRequest('name must be 1-200 characters');
    const role = validRole(input.role);
    if (creator.role !== 'owner') throw new Forbidden('only owners may create admin tokens');
    const { min, max } = ADMIN_LIMITS.tokenLifetimeSeconds;
    if (input.expires_in !== undefined && (!Number.isInteger(input.expires_in) || input.expires_in < min || input.expires_in > max)) {
      throw new InvalidRequest(`expires_in must be a whole number of seconds from ${min} to ${max}`);
    }
    const token = generateToken(TOKEN_PREFIXES.adminToken);
    const row: AdminTokenRow = {
      id: newId('kmo'), name, token_hash: sha256(token), hint: tokenHint(token), role, tenant_id: creator.tenantId,
      created_by: creator.email, created_at: this.now(), last_used_at: null, revoked_at: null,
      expires_at: input.expires_in === undefined ? null : this.now() + input.expires_in * 1000,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('admin_tokens').values(row).execute();
      await this.audit.recordIn(trx, context, { tenantId: row.tenant_id, action: 'admin_token.created', target: row.id, detail: { name, role, expires_at: row.expires_at } });
    });
    return { info: toTokenInfo(row), token };
  }

  /** Tokens the caller may see: all for a global admin, its tenant's otherwise. */
  async listTokens(viewer: AdminPrincipal): Promise<AdminTokenInfo[]> {
    let query = this.db.selectFrom('admin_tokens').selectAll().orderBy('created_at');
    if (viewer.tenantId !== null) query = query.where('tenant_id', '=', viewer.tenantId);
    return (await query.execute()).map(toTokenInfo);
  }

  async revokeToken(viewer: AdminPrincipal, id: string, context: AuditContext): Promise<AdminTokenInfo> {
    const row = await this.db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (viewer.tenantId !== null && row.tenant_id !== viewer.tenantId)) throw new NotFound(`admin token ${id} does not exist`);
    const now = this.now();
    if (row.revoked_at === null) {
      await this.db.transaction().execute(async (trx) => {
        await trx.updateTable('admin_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
        await this.audit.recordIn(trx, context, { tenantId: row.tenant_id, action: 'admin_token.revoked', target: id });
      });
    }
    return toTokenInfo({ ...row, revoked_at: row.revoked_at ?? now });
  }

  /**
   * A leaked `kmo_` token (leaks/): revoked like `revokeToken` when it is live (checksum first);
   * its tenant (null: a global admin's) and id, or null when malformed, unknown, revoked or expired.
   */
  async revokeLeakedToken(token: string, context: AuditContext, alsoIn?: InRevocation): Promise<{ tenantId: string | null; id: string } | null> {
    if (!hasValidFormat(token, TOKEN_PREFIXES.adminToken)) return null;
    const row = await this.db.selectFrom('admin_tokens').select(['id', 'tenant_id', 'revoked_at', 'expires_at']).where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && Number(row.expires_at) <= this.now())) return null;
    const now = this.now();
    const revoked = { tenantId: row.tenant_id, id: row.id };
    // Like revokeToken: the entries (admin_token.revoked, and credential.leaked by alsoIn) commit with the revocation.
    const done = await this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('admin_tokens').set({ revoked_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await this.audit.recordIn(trx, context, { tenantId: row.tenant_id, action: 'admin_token.revoked', target: row.id });
      await alsoIn?.(trx, revoked);
      return true;
    });
    return done ? revoked : null;
  }

  /** The principal of a `kmo_` Bearer token; InvalidToken when malformed, unknown or revoked. */
  async resolveToken(token: string): Promise<AdminPrincipal> {
    if (!hasValidFormat(token, TOKEN_PREFIXES.adminToken)) throw new InvalidToken('the admin token is malformed');
    const row = await this.db.selectFrom('admin_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.revoked_at !== null) throw new InvalidToken('the admin token is unknown or revoked');
    const now = this.now();
    if (row.expires_at !== null && Number(row.expires_at) <= now) throw new InvalidToken('the admin token has expired');
    // Last-used to the minute is enough, and keeps busy scripts from writing on every call.
    if (row.last_used_at === null || Number(row.last_used_at) < now - 60_000) {
      await this.db.updateTable('admin_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return { email: row.created_by, role: row.role as AdminRole, tenantId: row.tenant_id, via: 'token', tokenId: row.id };
  }

  /** `alsoIn`: the sign-in's audit entry, written in the session's transaction (it and its webhook event commit with it). */
  private async startSession(account: AdminAccount, alsoIn?: (trx: Db) => Promise<void>): Promise<NewSession> {
    const sessionId = secretValue();
    const csrfToken = this.csrfTokenOf(sessionId);
    const now = this.now();
    const expiresAt = now + ADMIN_LIMITS.sessionMs;
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('admin_sessions').values({ id_hash: sha256(sessionId), account_id: account.id, csrf_hash: sha256(csrfToken), created_at: now, expires_at: expiresAt, last_used_at: now }).execute();
      await alsoIn?.(trx);
    });
    await this.db.deleteFrom('admin_sessions').where('expires_at', '<=', now).execute();
    return { sessionId, csrfToken, account, expiresAt };
  }

  private async insertSetupToken(db: Db, accountId: string | null): Promise<string> {
    const token = secretValue();
    const now = this.now();
    await db.insertInto('admin_setup_tokens').values({ token_hash: sha256(token), account_id: accountId, created_at: now, expires_at: now + ADMIN_LIMITS.setupLinkMs, used_at: null }).execute();
    return token;
  }

  private async usableSetupToken(token: string) {
    const row = await this.db.selectFrom('admin_setup_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.used_at !== null || Number(row.expires_at) <= this.now()) throw new InvalidRequest('this setup link is unknown, used or expired');
    return row;
  }
}
