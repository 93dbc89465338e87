import type { Db } from './database.js';

/**
 * Last-used times of credentials, gathered in memory on the request path and written in one
 * transaction by a timer (and on shutdown): a token request never waits on this write. If the
 * database is away the batch is kept for the next flush, a newer use recorded meanwhile winning.
 */
export class LastUsedTimes {
  private pending = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly table: 'app_secrets' | 'api_tokens',
  ) {}

  record(id: string, at: number): void {
    this.pending.set(id, at);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const [id, at] of batch) await trx.updateTable(this.table).set({ last_used_at: at }).where('id', '=', id).execute();
      });
    } catch (error) {
      for (const [id, at] of batch) if ((this.pending.get(id) ?? 0) < at) this.pending.set(id, at);
      throw error;
    }
  }
}
