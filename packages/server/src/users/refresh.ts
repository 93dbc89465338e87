import type { ExpressionBuilder } from 'kysely';
import { sha256 } from '../crypto/hash.js';
import { refreshHandle, refreshSuccessor } from '../crypto/refresh-token.js';
import type { Db } from '../store/database.js';
import { PreparedQuery, type Parameter } from '../store/prepared.js';
import type { SharedTransactions } from '../store/shared-transactions.js';
import type { Database, UserSessionRow } from '../store/schema.js';
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
 * A `kmr_` token names its session by its handle, and the session row holds the hash of its one
 * live token. Spending is one conditional UPDATE of that row (`refresh_hash` = the presented
 * token's hash, set to its successor's), so of concurrent presentations exactly one spends the
 * token: on PostgreSQL the others wait on its row lock and then find the hash moved on, on SQLite
 * writers are serialised. The successor is `refreshSuccessor(key, token)`, a keyed function of the
 * spent token: a loser, or a client retrying after a lost answer, presents the same token within
 * `refreshReuseGrace` seconds and is answered with the session's *current* refresh token (the chain
 * is followed to the live hash), never a new branch, so the session keeps exactly one live refresh
 * token. Any other token naming the session is one spent earlier: reuse. Rotations share COMMITs
 * on SQLite and commit statement by statement on PostgreSQL (store/shared-transactions.ts): each
 * is answered only once its rotation is durable.
 */
export async function rotateRefreshToken(
  transactions: SharedTransactions,
  input: { tenant: Tenant; settings: EndUserSettings; successorKey: Buffer; token: string; now: number; jkt: string | null },
): Promise<RotationOutcome> {
  const { tenant, settings, successorKey, token, now, jkt } = input;
  const handle = refreshHandle(token);
  if (handle === null) return { kind: 'unknown' };
  const hash = sha256(token);
  const successor = refreshSuccessor(successorKey, token);
  const accessExpiresAt = accessExpiry(now, settings);
  const graceCutoff = now - settings.refreshReuseGrace * 1000;
  // Each statement below is a read or a compare-and-set, so the rotation needs no transaction of
  // its own: on PostgreSQL the common case is one round trip.
  return transactions.runStatements(async (trx) => {
    // The common case in one statement: the token is the live one of a live session, and (RFC 9449
    // §5) a bound session's token is spent only with a proof by its key, so a thief without the key
    // can neither burn it nor trip reuse detection. A session's key never changes.
    const rotated = (await rotate.execute(trx, {
      handle, tenantId: tenant.id, hash, nextHash: sha256(successor), now, jkt, accessExpiresAt, graceCutoff,
      idleCutoff: now - settings.sessionIdleTimeout * 1000,
    })).rows[0];
    if (rotated) return ok(rotated, successor, false);
    // Not spent: say why. A concurrent sign-out or rotation may commit between these statements on
    // PostgreSQL, so a graced answer is conditional on the hash it read and the session still being
    // live; a few tries settle it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = (await findSessionWithUser.execute(trx, { handle, tenantId: tenant.id })).rows[0];
      if (!found) return { kind: 'unknown' as const };
      if (found.jkt !== null && found.jkt !== jkt) return { kind: 'wrong_key' as const, missing: jkt === null };
      // A revoked or expired session is simply over; only a live one is revoked for reuse.
      const ended = sessionEnded(found, settings, now);
      if (ended) return { kind: 'ended' as const, reason: ended };
      if (found.refresh_hash === hash) continue; // rotated back in between? read again
      const current = liveEndOfChain(found, successorKey, token, settings.refreshReuseGrace, now);
      if (current === null) return { kind: 'reused' as const, sessionId: found.id };
      // The access expiry only ever moves later: a revocation must cover the newest access token handed out.
      const touched = (await touchSession.execute(trx, { sessionId: found.id, liveHash: found.refresh_hash!, now, accessExpiresAt })).rows[0];
      if (touched) return ok(touched, current, true);
    }
    return { kind: 'ended' as const, reason: 'the session changed during the refresh: sign in again' };
  });
}

function ok(row: SessionWithUser, refreshToken: string, graced: boolean): RotationOutcome {
  const { user_email: email, user_email_verified_at: emailVerifiedAt, ...session } = row;
  const user: SessionUser = { id: session.user_id, email: email!, email_verified_at: emailVerifiedAt };
  return { kind: 'ok', session, user, refreshToken, graced };
}

/**
 * The session's live refresh token when `token` is a spent one of it still inside the reuse grace,
 * else null (reuse). Follows successors from `token` to the live hash; a token `k` rotations back
 * was spent at the last rotation (k = 1, exact) or, when `k` is within the current burst of
 * rotations, no earlier than the burst began.
 */
function liveEndOfChain(session: UserSessionRow, key: Buffer, token: string, graceSeconds: number, now: number): string | null {
  if (graceSeconds <= 0 || session.refresh_hash === null || session.refresh_rotated_at === null) return null;
  const grace = graceSeconds * 1000;
  let current = token;
  for (let back = 1; back <= MAX_CHAIN_WALK; back++) {
    current = refreshSuccessor(key, current);
    if (sha256(current) !== session.refresh_hash) continue;
    // `now` was read before this transaction waited for the winner's, so it may precede the
    // rotation: concurrent, hence within any grace.
    const spentInGrace = back === 1 ? now - Number(session.refresh_rotated_at) < grace
      : back <= session.refresh_burst_length && now - Number(session.refresh_burst_started_at) < grace;
    return spentInGrace ? current : null;
  }
  // A token of the session that leads nowhere: spent long ago, or under another master key.
  return null;
}

// The rotation's statements, built and compiled once (store/prepared.ts): a rotation runs them
// thousands of times a second.
type RotateParameters = {
  handle: string; tenantId: string; hash: string; nextHash: string; now: number; jkt: string | null;
  accessExpiresAt: number; graceCutoff: number; idleCutoff: number;
};
const rotate = new PreparedQuery((db, param: Parameter<RotateParameters>) =>
  db
    .updateTable('user_sessions')
    .set((eb) => {
      // A burst continues while each rotation comes within the grace of the one before.
      const inBurst = eb.and([eb('refresh_rotated_at', 'is not', null), eb('refresh_rotated_at', '>', param('graceCutoff'))]);
      return {
        refresh_hash: param('nextHash'),
        refresh_generation: eb('refresh_generation', '+', 1),
        refresh_rotated_at: param('now'),
        refresh_burst_started_at: eb.case().when(inBurst).then(eb.ref('refresh_burst_started_at')).else(param('now')).end(),
        refresh_burst_length: eb.case().when(inBurst).then(eb('refresh_burst_length', '+', 1)).else(1).end(),
        last_used_at: param('now'),
        access_expires_at: eb.case().when('access_expires_at', '<', param('accessExpiresAt')).then(param('accessExpiresAt')).else(eb.ref('access_expires_at')).end(),
      };
    })
    .where('refresh_handle', '=', param('handle'))
    .where('tenant_id', '=', param('tenantId'))
    .where('refresh_hash', '=', param('hash'))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', param('now'))
    .where('last_used_at', '>', param('idleCutoff'))
    .where((session) => session.or([session('jkt', 'is', null), session('jkt', '=', param('jkt'))]))
    .returningAll()
    .returning(withUser),
);
// The session and what its tokens say of the user, in one statement: on PostgreSQL each statement
// is a round trip. Sessions are deleted with their user (ON DELETE CASCADE).
const findSessionWithUser = new PreparedQuery((db, param: Parameter<{ handle: string; tenantId: string }>) =>
  db
    .selectFrom('user_sessions')
    .selectAll()
    .select(withUser)
    .where('refresh_handle', '=', param('handle'))
    .where('tenant_id', '=', param('tenantId')),
);
// A graced answer: conditional on the live hash it computed and on the session not being revoked
// since it was read, and it takes the row lock, so a sign-out after it sees the access expiry set here.
const touchSession = new PreparedQuery((db, param: Parameter<{ sessionId: string; liveHash: string; now: number; accessExpiresAt: number }>) =>
  db
    .updateTable('user_sessions')
    .set((eb) => ({
      last_used_at: param('now'),
      access_expires_at: eb.case().when('access_expires_at', '<', param('accessExpiresAt')).then(param('accessExpiresAt')).else(eb.ref('access_expires_at')).end(),
    }))
    .where('id', '=', param('sessionId'))
    .where('refresh_hash', '=', param('liveHash'))
    .where('revoked_at', 'is', null)
    .returningAll()
    .returning(withUser),
);

type SessionWithUser = UserSessionRow & { user_email: string | null; user_email_verified_at: number | null };

/** The user's email and its proof, as scalar subqueries (they work in RETURNING on SQLite and PostgreSQL alike). */
function withUser(eb: ExpressionBuilder<Database, 'user_sessions'>) {
  return [
    eb.selectFrom('end_users').select('email').whereRef('end_users.id', '=', 'user_sessions.user_id').as('user_email'),
    eb.selectFrom('end_users').select('email_verified_at').whereRef('end_users.id', '=', 'user_sessions.user_id').as('user_email_verified_at'),
  ];
}
