import type { UntypedDb } from '../dialect.js';

// Issue 19, DPoP (RFC 9449): an app may require sender-constrained tokens (require_dpop, 0/1),
// and an opaque access token remembers the thumbprint of the key it is bound to (null: Bearer),
// so introspection and the resource API can hold it to its key. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('apps').addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('opaque_tokens').addColumn('jkt', 'varchar(64)').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('opaque_tokens').dropColumn('jkt').execute();
  await db.schema.alterTable('apps').dropColumn('require_dpop').execute();
}
