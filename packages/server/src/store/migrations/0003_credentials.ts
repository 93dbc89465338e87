import { isPostgres as onPostgres, type UntypedDb } from '../dialect.js';

// Credential lifecycle: API tokens, opaque access tokens, JWT revocations, audit log.
// Frozen once released, like every migration.
export async function up(db: UntypedDb): Promise<void> {
  const isPostgres = onPostgres(db);
  const serial = (table: ReturnType<UntypedDb['schema']['createTable']>) =>
    table.addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()));

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('hint', 'varchar(16)', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_tokens_tenant_idx').on('api_tokens').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('opaque_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('jti', 'varchar(64)', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  // The purge deletes by expiry; disabling an app deletes by client.
  await db.schema.createIndex('opaque_tokens_expiry_idx').on('opaque_tokens').column('expires_at').execute();
  await db.schema.createIndex('opaque_tokens_client_idx').on('opaque_tokens').column('client_id').execute();

  await serial(db.schema.createTable('token_revocations'))
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('jti', 'varchar(128)')
    .addColumn('client_id', 'varchar(64)')
    .addColumn('issued_before', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_revocations_tenant_idx').on('token_revocations').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('token_revocations_expiry_idx').on('token_revocations').column('expires_at').execute();

  await serial(db.schema.createTable('audit_log'))
    .addColumn('tenant_id', 'varchar(64)')
    .addColumn('actor', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(200)')
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target', 'varchar(200)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('detail', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_tenant_idx').on('audit_log').columns(['tenant_id', 'id']).execute();
}

export async function down(db: UntypedDb): Promise<void> {
  for (const table of ['audit_log', 'token_revocations', 'opaque_tokens', 'api_tokens']) {
    await db.schema.dropTable(table).execute();
  }
}
