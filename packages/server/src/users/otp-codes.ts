import { sql } from 'kysely';
import { safeEqual, sha256 } from '../crypto/hash.js';
import type { Db } from '../store/database.js';
import type { SignInBudgets } from '../attempts/sign-in.js';
import type { AuditLog } from '../audit/service.js';
import { randomDigits } from '../crypto/password.js';
import { InvalidGrant, TemporarilyUnavailable } from '../errors.js';
import type { Tenant } from '../tenants/model.js';
import { normalizeEmail } from './email.js';
import type { CodeMailer, CodePurpose } from './mailer.js';
import { END_USER_LIMITS, type Caller } from './model.js';

/** The code is bound to tenant and email, so a stored hash says nothing reusable elsewhere. */
export function otpHash(tenantId: string, email: string, code: string): string {
  return sha256(`otp:${tenantId}:${email}:${code}`);
}

/**
 * Stores a new code for `email`, replacing any earlier one (its attempts start again at 0). One
 * upsert: two code requests racing for one address both succeed, the later code wins (a
 * delete-then-insert would make one of them a unique-key violation on PostgreSQL).
 */
export async function storeCode(db: Db, tenantId: string, email: string, code: string, now: number): Promise<void> {
  const fresh = { code_hash: otpHash(tenantId, email, code), attempts: 0, expires_at: now + END_USER_LIMITS.otp.lifetimeSeconds * 1000, created_at: now };
  await db
    .insertInto('otp_codes')
    .values({ tenant_id: tenantId, email_normalized: email, ...fresh })
    .onConflict((oc) => oc.columns(['tenant_id', 'email_normalized']).doUpdateSet(fresh))
    .execute();
}

/** `spent`: no live code with an attempt left (none sent, expired, used, or out of guesses). */
export type CodeOutcome = 'accepted' | 'wrong' | 'spent';

/**
 * Checks a code against the one mailed to `email`, spending one of its attempts first with a
 * single conditional UPDATE (`attempts + 1 … where attempts < max`): however many guesses arrive
 * at once, on any number of processes or nodes, at most `max` are ever compared, and the code
 * then dies. A right code is consumed by deleting its row (of two concurrent uses, one wins).
 */
export async function spendCodeAttempt(db: Db, tenantId: string, email: string, code: string, now: number): Promise<CodeOutcome> {
  const spent = await db
    .updateTable('otp_codes')
    .set({ attempts: sql<number>`attempts + 1` })
    .where('tenant_id', '=', tenantId)
    .where('email_normalized', '=', email)
    .where('attempts', '<', END_USER_LIMITS.otp.attempts)
    .where('expires_at', '>', now)
    .returning(['code_hash'])
    .executeTakeFirst();
  if (!spent) return 'spent';
  if (!safeEqual(spent.code_hash, otpHash(tenantId, email, code))) return 'wrong';
  const consumed = await db
    .deleteFrom('otp_codes')
    .where('tenant_id', '=', tenantId)
    .where('email_normalized', '=', email)
    .where('code_hash', '=', spent.code_hash)
    .executeTakeFirst();
  return Number(consumed.numDeletedRows) === 1 ? 'accepted' : 'spent';
}

export interface OneTimeCodesDeps {
  db: Db;
  audit: AuditLog;
  mailer: CodeMailer;
  /** The code-mail and code-guess budgets per account and address (KEYMINT_SIGNIN_*). */
  signInBudgets: SignInBudgets;
  now: () => number;
}

/** Mailed one-time codes: sending one (under the mail budget) and spending one (under the guess budgets). */
export class OneTimeCodes {
  constructor(private readonly deps: OneTimeCodesDeps) {}

  /** Mails a code; the answer is the same whether or not the email has an account. */
  async send(tenant: Tenant, address: unknown, caller: Caller, purpose: CodePurpose = 'sign-in'): Promise<void> {
    const email = normalizeEmail(address);
    await this.deps.signInBudgets.codeSent({ realm: tenant.id, account: email, address: caller.ip });
    const code = randomDigits(END_USER_LIMITS.otp.digits);
    await storeCode(this.deps.db, tenant.id, email, code, this.deps.now());
    try {
      await this.deps.mailer.sendCode(email, code, { tenantName: tenant.name, minutes: END_USER_LIMITS.otp.lifetimeSeconds / 60, purpose });
    } catch {
      throw new TemporarilyUnavailable('the sign-in code could not be sent: try again later', 30);
    }
  }

  /**
   * Spends a mailed code of this (normalised) email: true when it was right and is now used up.
   * Under the code budgets (an attempt reserved before the comparison, given back when right),
   * and each code is compared at most END_USER_LIMITS.otp.attempts times (spendCodeAttempt).
   */
  async spend(tenant: Tenant, email: string, code: string, caller: Caller): Promise<boolean> {
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
}
