import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import type { ApiTokenService } from '../api-tokens/service.js';
import type { AppService } from '../apps/service.js';
import { InvalidRequest } from '../errors.js';

const HOUR = 3_600_000;

export interface UsageSeries {
  clientId: string;
  /** One count per hour from `from`, oldest first. */
  counts: number[];
}

/** What one use of a key came to (issue 20): counted per key per hour. */
export const KEY_OUTCOMES = ['valid', 'rate_limited', 'usage_exceeded', 'invalid', 'insufficient_scope'] as const;
export type KeyOutcome = (typeof KEY_OUTCOMES)[number];

/** A key's outcomes over a period: `token:{id}`, `app:{client_id}`, or `unknown` (keys that resolve to nothing). */
export interface KeyUsage {
  subject: string;
  totals: Record<KeyOutcome, number>;
  /** Hours (epoch ms, oldest first) with any use, and their counts. */
  hours: { hour: number; counts: Record<KeyOutcome, number> }[];
  /** Epoch ms of the latest use in the period. */
  lastUsedAt: number;
}

const noOutcomes = (): Record<KeyOutcome, number> => ({ valid: 0, rate_limited: 0, usage_exceeded: 0, invalid: 0, insufficient_scope: 0 });

/**
 * Usage counted per hour, for the console's charts and `keymint usage`: tokens issued per app,
 * and (issue 20) the outcome of every use of a key, per key and per app. Recording only bumps a
 * number in memory; `flush` (on a timer and on close) adds each batch to its table with one
 * upsert per row, so neither the token endpoint nor a key's use waits on a write for it.
 */
export class IssuanceCounter {
  private pending = new Map<string, { tenantId: string; clientId: string; hour: number; count: number }>();
  private outcomes = new Map<string, { tenantId: string; subject: string; hour: number; outcome: KeyOutcome; count: number; lastUsedAt: number }>();

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

  /** One use of a key and what it came to; `subject` as in KeyUsage. */
  recordOutcome(tenantId: string, subject: string, outcome: KeyOutcome): void {
    const now = this.now();
    const hour = Math.floor(now / HOUR) * HOUR;
    const key = `${tenantId}\n${subject}\n${hour}\n${outcome}`;
    const entry = this.outcomes.get(key);
    if (entry) {
      entry.count += 1;
      entry.lastUsedAt = now;
    } else {
      this.outcomes.set(key, { tenantId, subject, hour, outcome, count: 1, lastUsedAt: now });
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.flushIssued(), this.flushOutcomes()]);
  }

  private async flushOutcomes(): Promise<void> {
    if (this.outcomes.size === 0) return;
    const batch = [...this.outcomes.values()];
    this.outcomes = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const entry of batch) {
          await trx
            .insertInto('key_usage_counts')
            .values({ tenant_id: entry.tenantId, subject: entry.subject, hour: entry.hour, outcome: entry.outcome, count: entry.count, last_used_at: entry.lastUsedAt })
            .onConflict((c) => c.columns(['tenant_id', 'subject', 'hour', 'outcome']).doUpdateSet({
              count: sql`key_usage_counts.count + excluded.count`,
              last_used_at: sql`case when excluded.last_used_at > key_usage_counts.last_used_at then excluded.last_used_at else key_usage_counts.last_used_at end`,
            }))
            .execute();
        }
      });
    } catch (error) {
      // Keep the counts for the next flush rather than lose them.
      for (const entry of batch) {
        const key = `${entry.tenantId}\n${entry.subject}\n${entry.hour}\n${entry.outcome}`;
        const kept = this.outcomes.get(key);
        if (kept) {
          kept.count += entry.count;
          kept.lastUsedAt = Math.max(kept.lastUsedAt, entry.lastUsedAt);
        } else {
          this.outcomes.set(key, entry);
        }
      }
      throw error;
    }
  }

  /** Outcomes per key over the last `hours` hours (the current one included), busiest first; `subject` narrows to one key. */
  async keyUsage(tenantId: string, hours: number, subject?: string): Promise<{ from: number; keys: KeyUsage[] }> {
    await this.flushOutcomes();
    const from = Math.floor(this.now() / HOUR) * HOUR - (hours - 1) * HOUR;
    let query = this.db
      .selectFrom('key_usage_counts')
      .select(['subject', 'hour', 'outcome', 'count', 'last_used_at'])
      .where('tenant_id', '=', tenantId)
      .where('hour', '>=', from);
    if (subject !== undefined) query = query.where('subject', '=', subject);
    const bySubject = new Map<string, KeyUsage>();
    for (const row of await query.orderBy('hour').execute()) {
      const usage = bySubject.get(row.subject) ?? { subject: row.subject, totals: noOutcomes(), hours: [], lastUsedAt: 0 };
      const outcome = row.outcome as KeyOutcome;
      const hour = Number(row.hour);
      let slot = usage.hours.find((h) => h.hour === hour);
      if (!slot) usage.hours.push(slot = { hour, counts: noOutcomes() });
      slot.counts[outcome] += Number(row.count);
      usage.totals[outcome] += Number(row.count);
      usage.lastUsedAt = Math.max(usage.lastUsedAt, Number(row.last_used_at));
      bySubject.set(row.subject, usage);
    }
    const total = (u: KeyUsage) => KEY_OUTCOMES.reduce((sum, o) => sum + u.totals[o], 0);
    return { from, keys: [...bySubject.values()].sort((a, b) => total(b) - total(a)) };
  }

  private async flushIssued(): Promise<void> {
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
    await this.flushIssued();
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

/** Names of a tenant's keys by usage subject (`token:{id}`, `app:{client_id}`). */
export async function keyNames(tenantId: string, apps: Pick<AppService, 'list'>, apiTokens: Pick<ApiTokenService, 'list'>): Promise<Map<string, string>> {
  return new Map([
    ...(await apps.list(tenantId)).map((a) => [`app:${a.clientId}`, a.name] as [string, string]),
    ...(await apiTokens.list(tenantId)).map((t) => [`token:${t.id}`, t.name] as [string, string]),
  ]);
}

/** `token` or `app` of a usage query as a subject; InvalidRequest when both are given. */
export function usageSubject(query: { token?: string; app?: string }): string | undefined {
  if (query.token !== undefined && query.app !== undefined) throw new InvalidRequest('ask for one token or one app, not both');
  return query.token !== undefined ? `token:${query.token}` : query.app !== undefined ? `app:${query.app}` : undefined;
}
