import type { UntypedDb } from '../dialect.js';

// Frozen once released (see 0001). One-time signature_values of the signed-request profile,
// shared by every node that uses the database replay store.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('replay_values')
    .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
    // SHA-256 of the value: fixed width whatever the client sent (up to 1024 characters).
    .addColumn('value_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('replay_values_pk', ['client_id', 'value_hash'])
    .execute();
  await db.schema.createIndex('replay_values_expiry_idx').on('replay_values').column('expires_at').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('replay_values').execute();
}
