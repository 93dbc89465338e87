import type { UntypedDb } from '../dialect.js';

// End users of a tenant's app (issue 7): accounts, sessions, rotating refresh tokens, one-time
// codes, and session revocations in the revocation feed. Frozen once released, like every migration.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('end_users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    .addColumn('email_normalized', 'varchar(320)', (c) => c.notNull())
    // scrypt$N$r$p$salt$hash; null for accounts made by a one-time code that never set a password.
    .addColumn('password_hash', 'varchar(256)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('end_users_email_unique', ['tenant_id', 'email_normalized'])
    .execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('end_users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    // Absolute end, whatever the activity.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // When the newest access token of the session expires: how long a revocation must be published.
    .addColumn('access_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('user_sessions_user_idx').on('user_sessions').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('refresh_tokens')
    // SHA-256 of the kmr_ token; the token itself is never stored.
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('session_id', 'varchar(64)', (c) => c.notNull().references('user_sessions.id').onDelete('cascade'))
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Set once, atomically, when the token is exchanged; a second presentation is reuse.
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('refresh_tokens_session_idx').on('refresh_tokens').column('session_id').execute();

  await db.schema
    .createTable('otp_codes')
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('email_normalized', 'varchar(320)', (c) => c.notNull())
    // SHA-256 of tenant, email and code: the code never lands in a column.
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('otp_codes_pk', ['tenant_id', 'email_normalized'])
    .execute();

  // A revoked session's access tokens are refused by every verifier through the feed.
  await db.schema.alterTable('token_revocations').addColumn('session_id', 'varchar(64)').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('token_revocations').dropColumn('session_id').execute();
  await db.schema.dropTable('otp_codes').execute();
  await db.schema.dropTable('refresh_tokens').execute();
  await db.schema.dropTable('user_sessions').execute();
  await db.schema.dropTable('end_users').execute();
}
