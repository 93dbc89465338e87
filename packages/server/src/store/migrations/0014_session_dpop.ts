import type { UntypedDb } from '../dialect.js';

// Issue 19, DPoP for end-user sessions (RFC 9449 §5): a session opened with a DPoP proof remembers
// the RFC 7638 thumbprint of the proof's key (null: a Bearer session). Every refresh token of the
// session (its rotation family) is bound to it, so the key is kept on the session, not per token.
// Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('user_sessions').addColumn('jkt', 'varchar(64)').execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('user_sessions').dropColumn('jkt').execute();
}
