import type { Db } from '../store/database.js';

/**
 * Deletes sessions past their absolute end or revoked with no access token left alive (their
 * refresh tokens live on the session row and go with it) and expired sign-in codes. Returns how
 * many sessions went.
 */
export async function purgeEndUserSessions(db: Db, now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ended = trx.selectFrom('user_sessions').select('id').where((eb) => eb.or([
      eb('expires_at', '<=', now),
      eb.and([eb('revoked_at', 'is not', null), eb('access_expires_at', '<=', now)]),
    ]));
    const deleted = await trx.deleteFrom('user_sessions').where('id', 'in', ended).executeTakeFirst();
    await trx.deleteFrom('otp_codes').where('expires_at', '<=', now).execute();
    return Number(deleted.numDeletedRows);
  });
}
