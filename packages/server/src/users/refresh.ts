import { sha256 } from '../crypto/hash.js';
import { refreshSuccessor } from '../crypto/refresh-successor.js';
import type { Db } from '../store/database.js';
import type { EndUserRow, UserSessionRow } from '../store/schema.js';
import type { Tenant } from '../tenants/model.js';
import type { EndUserSettings } from './model.js';
import { accessExpiry, sessionEnded } from './session-state.js';

/** What presenting a refresh token came to. */
export type RotationOutcome =
  /** `graced`: the token had been spent inside the grace window; `refreshToken` is the session's current one. */
  | { kind: 'ok'; session: UserSessionRow; user: EndUserRow; refreshToken: string; graced: boolean }
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
 * the same session, is reuse.
 */
export async function rotateRefreshToken(
  db: Db,
  input: { tenant: Tenant; settings: EndUserSettings; successorKey: Buffer; token: string; now: number; jkt: string | null },
): Promise<RotationOutcome> {
  const { tenant, settings, successorKey, token, now, jkt } = input;
  const hash = sha256(token);
  return db.transaction().execute(async (trx) => {
    // RFC 9449 §5: a bound session's refresh token works only with a proof by its key. Checked
    // before the token is spent, so a thief without the key cannot burn it (nor trip reuse
    // detection and end the owner's session). A session's key never changes: no race with the spend.
    const binding = await trx
      .selectFrom('refresh_tokens')
      .innerJoin('user_sessions', 'user_sessions.id', 'refresh_tokens.session_id')
      .select('user_sessions.jkt')
      .where('refresh_tokens.token_hash', '=', hash)
      .where('refresh_tokens.tenant_id', '=', tenant.id)
      .executeTakeFirst();
    if (binding?.jkt != null && binding.jkt !== jkt) return { kind: 'wrong_key' as const, missing: jkt === null };
    const spent = await trx
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('tenant_id', '=', tenant.id)
      .where('used_at', 'is', null)
      .returning('session_id')
      .executeTakeFirst();
    let current: string;
    let sessionId: string;
    let graced = false;
    if (spent) {
      sessionId = spent.session_id;
      current = refreshSuccessor(successorKey, token);
    } else {
      const known = await trx.selectFrom('refresh_tokens').select(['session_id', 'used_at']).where('token_hash', '=', hash).where('tenant_id', '=', tenant.id).executeTakeFirst();
      if (!known) return { kind: 'unknown' as const };
      sessionId = known.session_id;
      // `now` was read before this transaction waited for the winner's, so it may precede `used_at`:
      // concurrent, hence within any grace, but 0 means no grace at all.
      const withinGrace = known.used_at !== null && settings.refreshReuseGrace > 0 && now - Number(known.used_at) < settings.refreshReuseGrace * 1000;
      const live = withinGrace ? await liveEndOfChain(trx, tenant.id, sessionId, successorKey, token) : null;
      if (live === null) {
        // A revoked or expired session is simply over; only a live one is revoked for reuse.
        const session = await trx.selectFrom('user_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
        const ended = session ? sessionEnded(session, settings, now) : 'the session does not exist';
        return ended ? { kind: 'ended' as const, reason: ended } : { kind: 'reused' as const, sessionId };
      }
      current = live;
      graced = true;
    }
    const session = await trx.selectFrom('user_sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
    const ended = sessionEnded(session, settings, now);
    if (ended) return { kind: 'ended' as const, reason: ended };
    const accessExpiresAt = accessExpiry(now, settings);
    // Conditional, and it takes the session's row lock: a sign-out that committed since the check
    // above wins, and one that comes after waits and then sees the access expiry set here. The
    // access expiry only ever moves later: a revocation must cover the newest access token handed
    // out, graced ones included.
    const touched = await trx
      .updateTable('user_sessions')
      .set((eb) => ({
        last_used_at: now,
        access_expires_at: eb.case().when('access_expires_at', '<', accessExpiresAt).then(accessExpiresAt).else(eb.ref('access_expires_at')).end(),
      }))
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(touched.numUpdatedRows) !== 1) return { kind: 'ended' as const, reason: 'the session has been revoked' };
    const user = await trx.selectFrom('end_users').selectAll().where('id', '=', session.user_id).executeTakeFirstOrThrow();
    if (!graced) {
      await trx.insertInto('refresh_tokens').values({ token_hash: sha256(current), session_id: sessionId, tenant_id: tenant.id, created_at: now, used_at: null }).execute();
    }
    return { kind: 'ok' as const, session, user, refreshToken: current, graced };
  });
}

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
