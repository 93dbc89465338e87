import type { AuditLog } from '../audit/service.js';
import { SYSTEM } from '../audit/service.js';
import type { Db } from '../store/database.js';

/** Credentials that can expire and are announced before they do. */
export type ExpiringKind = 'client_secret' | 'api_token' | 'admin_token';

const TABLES = { client_secret: 'app_secrets', api_token: 'api_tokens', admin_token: 'admin_tokens' } as const;
const DAY_MS = 86_400_000;

export interface ExpiryWarningsOptions {
  db: Db;
  audit: AuditLog;
  now: () => number;
  /** Days before expiry to warn at (KEYMINT_EXPIRY_WARNING_DAYS), largest first. */
  thresholdsDays: readonly number[];
}

/**
 * Records `credential.expiring` (audit, and so webhook events) when a live client secret, API token
 * or admin token comes within a threshold of its expiry: once per credential and threshold. The
 * row in `expiry_warnings` is claimed (insert, or nothing on conflict) in the transaction that writes
 * the entry and its outbox rows, so two runs at once, on one node or two, record each warning once,
 * and a warning is never marked sent without its event. A credential first seen inside several thresholds
 * (created to live 5 days) is announced at the tightest one only.
 */
export class ExpiryWarnings {
  constructor(private readonly deps: ExpiryWarningsOptions) {}

  /** One pass over every credential kind; returns how many warnings it recorded. */
  async run(): Promise<number> {
    const { thresholdsDays } = this.deps;
    if (thresholdsDays.length === 0) return 0;
    let recorded = 0;
    for (const kind of Object.keys(TABLES) as ExpiringKind[]) recorded += await this.runKind(kind, Math.max(...thresholdsDays));
    return recorded;
  }

  /**
   * Forgets warnings older than the largest possible threshold (365 days) plus a day: their
   * credential has expired by then and is never announced again. Returns how many went.
   */
  async purgeExpired(): Promise<number> {
    const result = await this.deps.db.deleteFrom('expiry_warnings').where('created_at', '<=', this.deps.now() - 366 * DAY_MS).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async runKind(kind: ExpiringKind, horizonDays: number): Promise<number> {
    const { db, audit, now: clock, thresholdsDays } = this.deps;
    const now = clock();
    const rows = await db.selectFrom(TABLES[kind]).select(['id', 'tenant_id', 'expires_at'])
      .where('revoked_at', 'is', null).where('expires_at', '>', now).where('expires_at', '<=', now + horizonDays * DAY_MS).execute();
    let recorded = 0;
    for (const row of rows) {
      const expiresAt = Number(row.expires_at);
      const threshold = Math.min(...thresholdsDays.filter((days) => expiresAt - now <= days * DAY_MS));
      // The claim and the entry (with its webhook outbox row) commit together: a node that dies in
      // between leaves neither, so the next run warns; a claim lost to another node writes nothing.
      const warned = await db.transaction().execute(async (trx) => {
        const claimed = await trx.insertInto('expiry_warnings')
          .values({ kind, credential_id: row.id, threshold_days: threshold, created_at: now })
          .onConflict((conflict) => conflict.columns(['kind', 'credential_id', 'threshold_days']).doNothing())
          .executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
        await audit.recordIn(trx, SYSTEM, {
          tenantId: row.tenant_id, action: 'credential.expiring', target: row.id,
          detail: { kind, id: row.id, expires_at: expiresAt, days_left: Math.ceil((expiresAt - now) / DAY_MS) },
        });
        return true;
      });
      if (warned) recorded++;
    }
    return recorded;
  }
}
