import type { UntypedDb } from '../dialect.js';

// Admin console and admin API (issue 8): accounts, console sessions, one-time setup links,
// admin API tokens, and hourly token-issuance counts per app. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('admin_accounts')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('email', 'varchar(320)', (c) => c.notNull().unique())
    // scrypt hash (crypto/password.ts); null until the person follows their setup link.
    .addColumn('password_hash', 'text')
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    // null: every tenant; otherwise the only tenant this admin may see or change.
    .addColumn('tenant_id', 'varchar(64)', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_sessions')
    // SHA-256 of the cookie value: a database dump holds no usable session.
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(64)', (c) => c.notNull().references('admin_accounts.id').onDelete('cascade'))
    .addColumn('csrf_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_setup_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    // null: the bootstrap link of a fresh install (creates the first owner).
    .addColumn('account_id', 'varchar(64)', (c) => c.references('admin_accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('admin_tokens')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('hint', 'varchar(16)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('created_by', 'varchar(320)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('token_issuance_counts')
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
    // Start of the hour, epoch ms.
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_issuance_counts_pk', ['tenant_id', 'hour', 'client_id'])
    .execute();
  await db.schema.createIndex('audit_log_tenant_time_idx').on('audit_log').columns(['tenant_id', 'created_at']).execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropIndex('audit_log_tenant_time_idx').execute();
  for (const table of ['token_issuance_counts', 'admin_tokens', 'admin_setup_tokens', 'admin_sessions', 'admin_accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
