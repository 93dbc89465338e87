import { sql } from 'kysely';
import { safeEqual, sha256 } from '../crypto/hash.js';
import type { Db } from '../store/database.js';
import { END_USER_LIMITS } from './model.js';

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
