import { sha256 } from '../crypto/hash.js';
import { refreshSuccessor } from '../crypto/refresh-successor.js';
import type { Db } from '../store/database.js';
import { PreparedQuery, type Parameter } from '../store/prepared.js';
import type { SharedTransactions } from '../store/shared-transactions.js';
import type { UserSessionRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import type { EndUserSettings, SessionUser } from './model.js';
import { accessExpiry, sessionEnded } from './session-state.js';

/** What presenting a refresh token came to. */
export type RotationOutcome =
  /** `graced`: the token had been spent inside the grace window; `refreshToken` is the session's current one. */
  | { kind: 'ok'; session: UserSessionRow; user: SessionUser; refreshToken: string; graced: boolean }
  | { kind: 'unknown' }
  | { kind: 'ended'; reason: string }
  /** RFC 9449 §5: the session is DPoP-bound and the request's proof is missing (`missing`) or by another key. Nothing was spent. */
  | { kind: 'wrong_key'; missing: boolean }
  /** Spent before the grace window: theft by RFC 9700 §4.14.2; the caller revokes the session. */
  | { kind: 'reused'; sessionId: string };

/** A chain longer than this inside one grace window is not a retry but a loop of refreshes: treated as reuse. */
const MAX_CHAIN_WALK = 32;

/**
 * Refresh-token rotation with a reuse grace (docs/end-users.md "Refresh-token rotation").
 *
 * Spending is one conditional UPDATE (`used_at IS NULL`), so of concurrent presentations exactly one
 * spends the token; on PostgreSQL the others wait on its row lock and then see it spent, on SQLite
 * writers are serialised. The successor is `refreshSuccessor(key, token)`, a keyed function of the
 * spent token: a loser, or a client retrying after a lost answer, presents the same token within
 * `refreshReuseGrace` seconds and is answered with the session's *current* refresh token (the chain
 * is followed to its unspent end), never a new branch, so the session keeps exactly one live
 * refresh token. A spent token presented later, or one whose chain does not lead to a live token of
 * the same session, is reuse. Rotations share COMMITs on SQLite (store/shared-transactions.ts):
 * each is answered only once its rotation is durable.
 */
export async function rotateRefreshToken(
  transactions: SharedTransactions,
  input: { tenant: Tenant; settings: EndUserSettings; successorKey: Buffer; token: string; now: number; jkt: string | null },
): Promise<RotationOutcome> {
  const { tenant, settings, successorKey, token, now, jkt } = input;
  const hash = sha256(token);
  return transactions.run(async (trx) => {
    // RFC 9449 §5: a bound session's refresh token is spent only with a proof by its key, so a
    // thief without the key can neither burn it nor trip reuse detection and end the owner's
    // session. A session's key never changes: no race between this check and the spend.
    const spent = (await spendToken.execute(trx, { hash, tenantId: tenant.id, now, jkt })).rows[0];
    let current: string;
    let sessionId: string;
    let graced = false;
    if (spent) {
      sessionId = spent.session_id;
      current = refreshSuccessor(successorKey, token);
    } else {
      const known = (await findToken.execute(trx, { hash, tenantId: tenant.id })).rows[0];
      if (!known) return { kind: 'unknown' as const };
      if (known.jkt !== null && known.jkt !== jkt) return { kind: 'wrong_key' as const, missing: jkt === null };
      sessionId = known.session_id;
      // `now` was read before this transaction waited for the winner's, so it may precede `used_at`:
      // concurrent, hence within any grace, but 0 means no grace at all.
      const withinGrace = known.used_at !== null && settings.refreshReuseGrace > 0 && now - Number(known.used_at) < settings.refreshReuseGrace * 1000;
      const live = withinGrace ? await liveEndOfChain(trx, tenant.id, sessionId, successorKey, token) : null;
      if (live === null) {
        // A revoked or expired session is simply over; only a live one is revoked for reuse.
        const session = (await findSessionWithUser.execute(trx, { sessionId })).rows[0];
        const ended = session ? sessionEnded(session, settings, now) : 'the session does not exist';
        return ended ? { kind: 'ended' as const, reason: ended } : { kind: 'reused' as const, sessionId };
      }
      current = live;
      graced = true;
    }
    const found = (await findSessionWithUser.execute(trx, { sessionId })).rows[0];
    if (!found) throw new Error(`refresh token of session ${sessionId} outlived its session`);
    const { user_email: email, user_email_verified_at: emailVerifiedAt, ...session } = found;
    const ended = sessionEnded(session, settings, now);
    if (ended) return { kind: 'ended' as const, reason: ended };
    // Conditional, and it takes the session's row lock: a sign-out that committed since the check
    // above wins, and one that comes after waits and then sees the access expiry set here. The
    // access expiry only ever moves later: a revocation must cover the newest access token handed
    // out, graced ones included.
    const touched = await touchSession.execute(trx, { sessionId, now, accessExpiresAt: accessExpiry(now, settings) });
    if (Number(touched.numAffectedRows) !== 1) return { kind: 'ended' as const, reason: 'the session has been revoked' };
    const user: SessionUser = { id: session.user_id, email, email_verified_at: emailVerifiedAt };
    if (!graced) await insertToken.execute(trx, { hash: sha256(current), sessionId, tenantId: tenant.id, now });
    return { kind: 'ok' as const, session, user, refreshToken: current, graced };
  });
}

// The rotation's statements, built and compiled once (store/prepared.ts): a rotation runs them
// thousands of times a second.
const spendToken = new PreparedQuery((db, param: Parameter<{ hash: string; tenantId: string; now: number; jkt: string | null }>) =>
  db
    .updateTable('refresh_tokens')
    .set({ used_at: param('now') })
    .where('token_hash', '=', param('hash'))
    .where('tenant_id', '=', param('tenantId'))
    .where('used_at', 'is', null)
    // Correlated (one primary-key probe), not `IN (…)`, which SQLite would build for every session.
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('user_sessions')
          .select('user_sessions.id')
          .whereRef('user_sessions.id', '=', 'refresh_tokens.session_id')
          .where((session) => session.or([session('user_sessions.jkt', 'is', null), session('user_sessions.jkt', '=', param('jkt'))])),
      ),
    )
    .returning('session_id'),
);
const findToken = new PreparedQuery((db, param: Parameter<{ hash: string; tenantId: string }>) =>
  db
    .selectFrom('refresh_tokens')
    .leftJoin('user_sessions', 'user_sessions.id', 'refresh_tokens.session_id')
    .select(['refresh_tokens.session_id', 'refresh_tokens.used_at', 'user_sessions.jkt'])
    .where('refresh_tokens.token_hash', '=', param('hash'))
    .where('refresh_tokens.tenant_id', '=', param('tenantId')),
);
// The session and what its tokens say of the user, in one statement: on PostgreSQL each statement is
// a round trip, and a rotation already makes six (BEGIN, spend, this, touch, insert, COMMIT).
// Sessions are deleted with their user (ON DELETE CASCADE), so the inner join loses no session.
const findSessionWithUser = new PreparedQuery((db, param: Parameter<{ sessionId: string }>) =>
  db
    .selectFrom('user_sessions')
    .innerJoin('end_users', 'end_users.id', 'user_sessions.user_id')
    .selectAll('user_sessions')
    .select(['end_users.email as user_email', 'end_users.email_verified_at as user_email_verified_at'])
    .where('user_sessions.id', '=', param('sessionId')),
);
const touchSession = new PreparedQuery((db, param: Parameter<{ sessionId: string; now: number; accessExpiresAt: number }>) =>
  db
    .updateTable('user_sessions')
    .set((eb) => ({
      last_used_at: param('now'),
      access_expires_at: eb.case().when('access_expires_at', '<', param('accessExpiresAt')).then(param('accessExpiresAt')).else(eb.ref('access_expires_at')).end(),
    }))
    .where('id', '=', param('sessionId'))
    .where('revoked_at', 'is', null),
);
const insertToken = new PreparedQuery((db, param: Parameter<{ hash: string; sessionId: string; tenantId: string; now: number }>) =>
  db.insertInto('refresh_tokens').values({ token_hash: param('hash'), session_id: param('sessionId'), tenant_id: param('tenantId'), created_at: param('now'), used_at: null }),
);

/** Follows successors from `token` to the session's unspent refresh token; null when the chain breaks. */
async function liveEndOfChain(trx: Db, tenantId: string, sessionId: string, key: Buffer, token: string): Promise<string | null> {
  let current = token;
  for (let step = 0; step < MAX_CHAIN_WALK; step++) {
    const next = refreshSuccessor(key, current);
    const row = await trx.selectFrom('refresh_tokens').select(['session_id', 'used_at']).where('token_hash', '=', sha256(next)).where('tenant_id', '=', tenantId).executeTakeFirst();
    // A successor made before this scheme (random), or with another master key: no chain to follow.
    if (!row || row.session_id !== sessionId) return null;
    if (row.used_at === null) return next;
    current = next;
  }
  return null;
}
