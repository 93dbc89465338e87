import type { UntypedDb } from '../dialect.js';

// Expiry warnings already given (leaks/expiry-warnings.ts): one row per credential and threshold,
// so each warning is recorded once however many nodes or runs see it. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('expiry_warnings')
    // client_secret | api_token | admin_token
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('credential_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('threshold_days', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('expiry_warnings_pk', ['kind', 'credential_id', 'threshold_days'])
    .execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('expiry_warnings').execute();
}
