import type { UntypedDb } from '../dialect.js';

// Issue 20: per-key rate limits and quotas, and per-key usage. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  // JSON (limits/model.ts Limits); null: no limits. Read with the token or app into its cache.
  await db.schema.alterTable('api_tokens').addColumn('limits', 'text').execute();
  await db.schema.alterTable('apps').addColumn('limits', 'text').execute();
  // Uses left of a quota, per credential and limits version (`quota:{id}:{since}`), spent by one
  // conditional upsert. Rate-limit windows live in attempt_counters (same fixed-window shape).
  await db.schema
    .createTable('usage_quotas')
    .addColumn('key', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('remaining', 'bigint', (c) => c.notNull())
    // Epoch ms from which the next use refills the quota; 0: never refilled.
    .addColumn('refill_at', 'bigint', (c) => c.notNull())
    .execute();
  // Outcomes per credential per hour, written in batches (admin/usage.ts).
  await db.schema
    .createTable('key_usage_counts')
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    // `token:{id}` or `app:{client_id}`
    .addColumn('subject', 'varchar(100)', (c) => c.notNull())
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_usage_counts_pk', ['tenant_id', 'subject', 'hour', 'outcome'])
    .execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('key_usage_counts').execute();
  await db.schema.dropTable('usage_quotas').execute();
  await db.schema.alterTable('apps').dropColumn('limits').execute();
  await db.schema.alterTable('api_tokens').dropColumn('limits').execute();
}
