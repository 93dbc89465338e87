import type { UntypedDb } from '../dialect.js';

// Attempt budgets shared by every process of a deployment (issue 14, attempts/): one row per
// budget key and window, spent by one conditional upsert. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('attempt_counters')
    // `scope:hash`: the subject (account, address, client) is hashed, so keys are bounded and hold no email.
    .addColumn('key', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    // Epoch ms the window ends; the first attempt after it starts a new window in place.
    .addColumn('reset_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attempt_counters_reset_idx').on('attempt_counters').column('reset_at').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('attempt_counters').execute();
}
