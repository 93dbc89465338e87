import { newId } from '../crypto/random.js';
import { InvalidRequest } from '../errors.js';
import type { Db } from '../store/database.js';
import { lockForTransaction } from '../store/locks.js';
import type { AdminAccountRow } from '../store/schema.js';

/**
 * Creates the first global owner from a bootstrap setup link, at most once per installation
 * (issue 14 item 6). Every node that starts on an empty database prints its own link, and a
 * person may open several: one transaction per attempt, serialised by a database lock, checks
 * that no admin account exists, spends the link and inserts the owner. So however many links are
 * used at once, on however many nodes, exactly one owner is created and every other attempt gets
 * the same 400 as a link used after set-up. Every bootstrap link is spent with it, so none can be
 * replayed later. `alsoIn` writes the caller's audit entries in that transaction.
 */
export async function createFirstOwner(db: Db, input: { tokenHash: string; email: string; passwordHash: string }, now: number, alsoIn?: (trx: Db) => Promise<void>): Promise<AdminAccountRow> {
  return db.transaction().execute(async (trx) => {
    await lockForTransaction(trx, 'keymint:first-owner');
    if (await trx.selectFrom('admin_accounts').select('id').limit(1).executeTakeFirst()) {
      throw new InvalidRequest('this setup link is no longer valid: an admin account exists');
    }
    const spent = await trx.updateTable('admin_setup_tokens').set({ used_at: now }).where('token_hash', '=', input.tokenHash).where('account_id', 'is', null).where('used_at', 'is', null).executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) throw new InvalidRequest('this setup link has already been used');
    await trx.updateTable('admin_setup_tokens').set({ used_at: now }).where('account_id', 'is', null).where('used_at', 'is', null).execute();
    const row: AdminAccountRow = { id: newId('adm'), email: input.email, password_hash: input.passwordHash, role: 'owner', tenant_id: null, created_at: now, updated_at: now };
    await trx.insertInto('admin_accounts').values(row).execute();
    await alsoIn?.(trx);
    return row;
  });
}
