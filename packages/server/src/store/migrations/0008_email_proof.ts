import type { UntypedDb } from '../dialect.js';

// Issue 14: accounts belong to whoever proves the email (end users' email_verified_at), emails
// normalised to NFC (RFC 6532 §3.1) before case folding, admin console sessions with an idle
// timeout (last_used_at) and admin API tokens with an optional expiry. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  // null: never proven. Set by a code sign-in, a code entered with the password, or a reset.
  await db.schema.alterTable('end_users').addColumn('email_verified_at', 'bigint').execute();
  // An account without a password can only have been made by a code sign-in: its email is proven.
  // Accounts with a password stay unproven: nothing tells whose password it is.
  await db.updateTable('end_users').set((eb) => ({ email_verified_at: eb.ref('created_at') })).where('password_hash', 'is', null).execute();
  await db.schema.alterTable('admin_sessions').addColumn('last_used_at', 'bigint').execute();
  await db.updateTable('admin_sessions').set((eb) => ({ last_used_at: eb.ref('created_at') })).execute();
  await db.schema.alterTable('admin_tokens').addColumn('expires_at', 'bigint').execute();

  // Rows stored before NFC normalisation: `zoë` typed precomposed and decomposed were two
  // accounts. Each row is rewritten to the normalised form unless another row of the tenant
  // already holds it; such a twin keeps its old key (unreachable by email, visible to admins)
  // rather than being merged into someone else's account.
  const rows: { id: string; tenant_id: string; email_normalized: string }[] = await db
    .selectFrom('end_users').select(['id', 'tenant_id', 'email_normalized']).orderBy('created_at').orderBy('id').execute();
  const taken = new Set(rows.map((row) => `${row.tenant_id}\n${row.email_normalized}`));
  for (const row of rows) {
    const normalized = normalizeEmailText(row.email_normalized);
    if (normalized === row.email_normalized || taken.has(`${row.tenant_id}\n${normalized}`)) continue;
    await db.updateTable('end_users').set({ email_normalized: normalized }).where('id', '=', row.id).execute();
    taken.add(`${row.tenant_id}\n${normalized}`);
  }
  // Sign-in codes live ten minutes: one keyed by a non-normalised email is simply dropped.
  const codes: { tenant_id: string; email_normalized: string }[] = await db.selectFrom('otp_codes').select(['tenant_id', 'email_normalized']).execute();
  for (const code of codes) {
    if (normalizeEmailText(code.email_normalized) !== code.email_normalized) {
      await db.deleteFrom('otp_codes').where('tenant_id', '=', code.tenant_id).where('email_normalized', '=', code.email_normalized).execute();
    }
  }
}

/** A copy of users/email.ts as of this migration: migrations never import code that may change. */
function normalizeEmailText(email: string): string {
  return email.normalize('NFC').toLowerCase().normalize('NFC');
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.alterTable('admin_tokens').dropColumn('expires_at').execute();
  await db.schema.alterTable('admin_sessions').dropColumn('last_used_at').execute();
  await db.schema.alterTable('end_users').dropColumn('email_verified_at').execute();
}
