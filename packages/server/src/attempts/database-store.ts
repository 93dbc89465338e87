import { sql, type Transaction } from 'kysely';
import type { Db } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { inKeyOrder, type AttemptStore, type Budget, type TakeResult, type Taken } from './store.js';

class Spent extends Error {
  constructor(readonly key: string, readonly resetAt: number) {
    super('budget spent');
  }
}

/**
 * One attempt from one budget, as one conditional upsert — "count + 1 where count < max, or a
 * new window when the old one ended" — or null when the window is spent (nothing written).
 * Also the database path of per-key rate limits (limits/database-store.ts), in their transaction.
 */
export async function takeOne(trx: Transaction<Database>, budget: Budget, now: number): Promise<{ count: number; reset_at: number } | undefined> {
  const fresh = now + budget.windowMs;
  return trx
    .insertInto('attempt_counters')
    .values({ key: budget.key, count: 1, reset_at: fresh })
    .onConflict((oc) => oc.column('key')
      .doUpdateSet({
        count: sql<number>`case when attempt_counters.reset_at <= ${now} then 1 else attempt_counters.count + 1 end`,
        reset_at: sql<number>`case when attempt_counters.reset_at <= ${now} then ${fresh} else attempt_counters.reset_at end`,
      })
      .where((eb) => eb.or([eb('attempt_counters.reset_at', '<=', now), eb('attempt_counters.count', '<', budget.max)])))
    .returning(['count', 'reset_at'])
    .executeTakeFirst();
}

/**
 * Attempt counts in the database: what SQLite workers sharing one file and PostgreSQL nodes
 * sharing one database all see. Each budget is one conditional upsert — "count + 1 where count
 * < max, or a new window when the old one ended" — so two racing requests can never both take
 * the last attempt; several budgets are taken in one transaction, in key order (no deadlock),
 * and rolled back together when one of them is spent.
 */
export class DatabaseAttemptStore implements AttemptStore {
  constructor(private readonly db: Db) {}

  async take(budgets: readonly Budget[], now: number): Promise<TakeResult> {
    try {
      const taken = await this.db.transaction().execute(async (trx) => {
        const out: Taken[] = [];
        for (const budget of inKeyOrder(budgets)) {
          const row = await takeOne(trx, budget, now);
          if (!row) {
            const current = await trx.selectFrom('attempt_counters').select('reset_at').where('key', '=', budget.key).executeTakeFirst();
            throw new Spent(budget.key, Number(current?.reset_at ?? now + budget.windowMs));
          }
          out.push({ key: budget.key, count: Number(row.count), max: budget.max, resetAt: Number(row.reset_at) });
        }
        return out;
      });
      return { granted: true, taken };
    } catch (error) {
      if (error instanceof Spent) return { granted: false, key: error.key, resetAt: error.resetAt };
      throw error;
    }
  }

  async giveBack(taken: readonly Taken[]): Promise<void> {
    for (const { key, resetAt } of taken) {
      await this.db
        .updateTable('attempt_counters')
        .set({ count: sql<number>`count - 1` })
        .where('key', '=', key)
        .where('reset_at', '=', resetAt)
        .where('count', '>', 0)
        .execute();
    }
  }

  async purge(now: number): Promise<number> {
    const deleted = await this.db.deleteFrom('attempt_counters').where('reset_at', '<=', now).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  async close(): Promise<void> {}
}
