import { InvalidRequest, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import type { EndUserRow } from '../store/schema.js';
import { normalizeEmail } from './email.js';
import { endUserOf, type EndUser, type EndUserSummary } from './model.js';

/** The account row of a normalised email (users/email.ts), if there is one. */
export function findByEmail(db: Db, tenantId: string, email: string): Promise<EndUserRow | undefined> {
  return db.selectFrom('end_users').selectAll().where('tenant_id', '=', tenantId).where('email_normalized', '=', email).executeTakeFirst();
}

/** Reading a tenant's end users (admin API, CLI): lists, pages, look-ups by id or email. */
export class UserDirectory {
  constructor(private readonly deps: { db: Db }) {}

  /**
   * A page of the tenant's users, newest first, each with its last sign-in (the newest session
   * Keymint still keeps: ended sessions are purged). `before` is the id of the last user of the
   * previous page; `next` is set when more users follow.
   */
  async listPage(tenantId: string, options: { limit: number; before?: string | undefined; email?: string | undefined }): Promise<{ users: EndUserSummary[]; next: string | null }> {
    const { db } = this.deps;
    let query = db
      .selectFrom('end_users')
      .select(['id', 'email', 'email_verified_at', 'created_at'])
      .select((eb) => eb.selectFrom('user_sessions').select((s) => s.fn.max('user_sessions.created_at').as('last')).whereRef('user_sessions.user_id', '=', 'end_users.id').as('last_sign_in_at'))
      .where('tenant_id', '=', tenantId);
    if (options.email !== undefined) query = query.where('email_normalized', '=', normalizeEmail(options.email));
    const before = options.before;
    if (before !== undefined) {
      const cursor = await db.selectFrom('end_users').select(['created_at']).where('tenant_id', '=', tenantId).where('id', '=', before).executeTakeFirst();
      if (!cursor) throw new InvalidRequest('before must be the id of a user of this tenant');
      const at = Number(cursor.created_at);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1).execute();
    const page = rows.slice(0, options.limit);
    return {
      users: page.map((row) => ({ id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: Number(row.created_at), lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at) })),
      next: rows.length > options.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** A user of the tenant, or NotFound (also for another tenant's user). */
  async getUser(tenantId: string, userId: string): Promise<EndUser> {
    const row = await this.deps.db.selectFrom('end_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst();
    if (!row) throw new NotFound('no such end user');
    return endUserOf(row);
  }

  /** The user of this email (any spelling that normalises the same), or NotFound (404, CLI error). */
  async userByEmail(tenantId: string, email: string): Promise<EndUser> {
    const row = await findByEmail(this.deps.db, tenantId, normalizeEmail(email));
    if (!row) throw new NotFound(`no end user ${email}`);
    return endUserOf(row);
  }
}
