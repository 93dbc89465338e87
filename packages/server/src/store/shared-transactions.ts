import { transactionWithHeldConnection, type Db } from './database.js';
import { isPostgres } from './dialect.js';
import { GroupCommit } from './group-commit.js';

type Work = (trx: Db) => Promise<unknown>;
type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Short write transactions that share a COMMIT on SQLite. SQLite has one writer, so concurrent
 * transactions run one after another anyway, and for a few indexed statements the COMMIT (the
 * WAL write) costs as much as the statements: units of work that arrive in the same turn of the
 * event loop run one after another in one transaction, and each caller is answered after it
 * committed (store/group-commit.ts), so an answer still means a durable write. When a unit
 * fails, the batch rolls back and its units run again each in a transaction of its own, so a
 * failure reaches only its caller. A unit must therefore only touch the database through `trx`
 * (it may run twice; only one run commits).
 *
 * On PostgreSQL every unit gets its own transaction: connections run them in parallel, and a
 * shared one would hold every unit's row locks until the slowest finished.
 */
export class SharedTransactions {
  private readonly batches: GroupCommit<Work, Settled> | null;

  constructor(private readonly db: Db, maxBatch = 64) {
    this.batches = isPostgres(db) ? null : new GroupCommit<Work, Settled>((units) => this.runBatch(units), maxBatch);
  }

  async run<R>(work: (trx: Db) => Promise<R>): Promise<R> {
    if (!this.batches) return this.db.transaction().execute(work);
    const settled = await this.batches.add(work);
    if (!settled.ok) throw settled.error;
    return settled.value as R;
  }

  /**
   * Like `run`, for work whose statements are each correct on their own (every write conditional on
   * what it depends on, as a compare-and-set): on PostgreSQL they run without BEGIN and COMMIT, each
   * statement its own transaction and one round trip; on SQLite they share a COMMIT as in `run`.
   */
  async runStatements<R>(work: (db: Db) => Promise<R>): Promise<R> {
    return this.batches ? this.run(work) : work(this.db);
  }

  private async runBatch(units: Work[]): Promise<Settled[]> {
    try {
      return await transactionWithHeldConnection(this.db, async (trx) => {
        const results: Settled[] = [];
        for (const unit of units) results.push({ ok: true, value: await unit(trx) });
        return results;
      });
    } catch (error) {
      if (units.length === 1) return [{ ok: false, error }];
      const alone: Settled[] = [];
      for (const unit of units) {
        try {
          alone.push({ ok: true, value: await transactionWithHeldConnection(this.db, unit) });
        } catch (unitError) {
          alone.push({ ok: false, error: unitError });
        }
      }
      return alone;
    }
  }
}
