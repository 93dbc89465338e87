import type { UntypedDb } from '../dialect.js';

// Frozen once released (see 0001). Issue 19 item 1: the public keys an app authenticates with
// (private_key_jwt, RFC 7523 §2.2). Public JWKs only, so nothing here is sealed.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('app_keys')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    // The JWK's kid, or its RFC 7638 thumbprint when it came without one.
    .addColumn('kid', 'varchar(128)', (c) => c.notNull())
    .addColumn('thumbprint', 'varchar(64)', (c) => c.notNull())
    // The public JWK as JSON (kty, alg, use and the key's public members only).
    .addColumn('jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('app_keys_kid_idx').on('app_keys').columns(['app_id', 'kid']).unique().execute();
  await db.schema.createIndex('app_keys_thumbprint_idx').on('app_keys').columns(['app_id', 'thumbprint']).unique().execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('app_keys').execute();
}
