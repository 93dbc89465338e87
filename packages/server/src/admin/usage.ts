import { sql } from 'kysely';
import type { Db } from '../store/database.js';

const HOUR = 3_600_000;

export interface UsageSeries {
  clientId: string;
  /** One count per hour from `from`, oldest first. */
  counts: number[];
}

/**
 * Tokens issued per app per hour, for the console's usage chart. Issuance only bumps a number
 * in memory; `flush` (on a timer and on close) adds the batch to the table with one upsert per
 * app and hour, so the token endpoint never waits on a write for it.
 */
export class IssuanceCounter {
  private pending = new Map<string, { tenantId: string; clientId: string; hour: number; count: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  record(tenantId: string, clientId: string): void {
    const hour = Math.floor(this.now() / HOUR) * HOUR;
    const key = `${tenantId}\n${clientId}\n${hour}`;
    const entry = this.pending.get(key);
    if (entry) entry.count += 1;
    else this.pending.set(key, { tenantId, clientId, hour, count: 1 });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const entry of batch) {
          await trx
            .insertInto('token_issuance_counts')
            .values({ tenant_id: entry.tenantId, client_id: entry.clientId, hour: entry.hour, count: entry.count })
            .onConflict((c) => c.columns(['tenant_id', 'hour', 'client_id']).doUpdateSet({ count: sql`token_issuance_counts.count + excluded.count` }))
            .execute();
        }
      });
    } catch (error) {
      // Keep the counts for the next flush rather than lose them.
      for (const entry of batch) {
        const key = `${entry.tenantId}\n${entry.clientId}\n${entry.hour}`;
        const kept = this.pending.get(key);
        if (kept) kept.count += entry.count;
        else this.pending.set(key, entry);
      }
      throw error;
    }
  }

  /** Hourly counts per app over the last `hours` hours (the current hour included). */
  async series(tenantId: string, hours: number): Promise<{ from: number; hours: number; apps: UsageSeries[] }> {
    await this.flush();
    const from = Math.floor(this.now() / HOUR) * HOUR - (hours - 1) * HOUR;
    const rows = await this.db
      .selectFrom('token_issuance_counts')
      .select(['client_id', 'hour', 'count'])
      .where('tenant_id', '=', tenantId)
      .where('hour', '>=', from)
      .execute();
    const byApp = new Map<string, number[]>();
    for (const row of rows) {
      const counts = byApp.get(row.client_id) ?? new Array<number>(hours).fill(0);
      const index = Math.round((Number(row.hour) - from) / HOUR);
      if (index >= 0 && index < hours) counts[index] = (counts[index] ?? 0) + Number(row.count);
      byApp.set(row.client_id, counts);
    }
    return { from, hours, apps: [...byApp].map(([clientId, counts]) => ({ clientId, counts })) };
  }
}
