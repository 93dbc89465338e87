import type { UntypedDb } from '../dialect.js';

// Issue 22: a session keeps its live refresh token on its own row (docs/architecture.md
// "Refresh tokens live on their session"). A `kmr_` token names its session by a handle (its first
// 11 characters); the row holds the hash of the live token and what the reuse grace needs to know
// about recent rotations, so a rotation updates one row instead of spending one row and inserting
// another into two random places of two indexes. Refresh tokens issued before this migration are
// not carried over (only their hashes were ever stored): their sessions' users sign in again.
// Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('user_sessions').addColumn('refresh_handle', 'varchar(16)').execute();
  // SHA-256 (base64url) of the session's live refresh token; the token itself is never stored.
  await db.schema.alterTable('user_sessions').addColumn('refresh_hash', 'varchar(64)').execute();
  // How many rotations the session has made: the live token's generation.
  await db.schema.alterTable('user_sessions').addColumn('refresh_generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // When the live token was issued by a rotation; null until the first one.
  await db.schema.alterTable('user_sessions').addColumn('refresh_rotated_at', 'bigint').execute();
  // The current burst: rotations each within the reuse grace of the one before, since when and how many.
  await db.schema.alterTable('user_sessions').addColumn('refresh_burst_started_at', 'bigint').execute();
  await db.schema.alterTable('user_sessions').addColumn('refresh_burst_length', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('user_sessions_refresh_handle_idx').unique().on('user_sessions').column('refresh_handle').execute();
  await db.schema.dropTable('refresh_tokens').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('session_id', 'varchar(64)', (c) => c.notNull().references('user_sessions.id').onDelete('cascade'))
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('refresh_tokens_session_idx').on('refresh_tokens').column('session_id').execute();
  await db.schema.dropIndex('user_sessions_refresh_handle_idx').execute();
  for (const column of ['refresh_burst_length', 'refresh_burst_started_at', 'refresh_rotated_at', 'refresh_generation', 'refresh_hash', 'refresh_handle']) {
    await db.schema.alterTable('user_sessions').dropColumn(column).execute();
  }
}
