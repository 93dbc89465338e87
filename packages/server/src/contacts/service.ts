import { sql } from 'kysely';
import { newId } from '../crypto/random.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { ContactRow } from '../store/schema.js';
import { parseStringList } from '../util/json.js';
import { ListCache } from './list-cache.js';
import type { ContactChanges, ContactFilter, ContactStatus, NewContact } from './model.js';
import type { Contact } from './schemas.js';

/** What a response needs: the row minus tenant_id and email_normalized. */
const CONTACT_COLUMNS = ['id', 'email', 'name', 'phone', 'tags', 'status', 'created_at', 'updated_at'] as const;
type ContactFields = Pick<ContactRow, (typeof CONTACT_COLUMNS)[number]>;

function toContact(row: ContactFields): Contact {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    tags: parseStringList(row.tags),
    status: row.status as ContactStatus,
    created_at: new Date(Number(row.created_at)).toISOString(),
    updated_at: new Date(Number(row.updated_at)).toISOString(),
  };
}

/** Where a page ends: the (created_at, id) of its last contact, opaque to callers. */
interface Cursor {
  createdAt: number;
  id: string;
}

function encodeCursor(row: ContactFields): string {
  return Buffer.from(JSON.stringify([Number(row.created_at), row.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidRequest('querystring.cursor is not a cursor this API returned');
}

/** LIKE pattern for "contains", with the wildcards of the text itself escaped. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
}

export interface ContactPage {
  data: Contact[];
  next_cursor: string | null;
}

/**
 * Contacts of one tenant (DESIGN "Resource API"). Every query is scoped by tenant id. List pages
 * are served from memory until the tenant's contacts change (DESIGN: no per-request database
 * read that a cache can serve); every write records a `contact` change so other nodes drop
 * theirs within a poll.
 */
export class ContactService {
  private readonly lists: ListCache<ContactPage>;
  private readonly db: Db;
  private readonly changes: ChangeFeed;
  private readonly now: () => number;

  constructor({ db, changes, now }: { db: Db; changes: ChangeFeed; now: () => number }) {
    this.db = db;
    this.changes = changes;
    this.now = now;
    this.lists = new ListCache(now);
    changes.on('contact', (change) => this.lists.invalidate(change.tenantId));
    changes.onReset(() => this.lists.invalidateAll());
  }

  /** A page, from the cache or the database; callers must not modify it (it may be shared). */
  async list(tenantId: string, filter: ContactFilter): Promise<ContactPage> {
    const key = JSON.stringify([filter.email?.toLowerCase(), filter.status, filter.q, filter.limit, filter.cursor]);
    const cached = this.lists.get(tenantId, key);
    if (cached) return cached;
    const generation = this.lists.generation(tenantId);
    const page = await this.readPage(tenantId, filter);
    this.lists.set(tenantId, key, page, generation);
    return page;
  }

  /** Keyset pagination over (created_at, id): stable under inserts, no OFFSET scans. */
  private async readPage(tenantId: string, filter: ContactFilter): Promise<ContactPage> {
    let query = this.db.selectFrom('contacts').select(CONTACT_COLUMNS).where('tenant_id', '=', tenantId);
    if (filter.email !== undefined) query = query.where('email_normalized', '=', filter.email.toLowerCase());
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.q !== undefined) {
      const pattern = containsPattern(filter.q);
      query = query.where((eb) => eb.or([
        sql<boolean>`lower(${eb.ref('name')}) like ${pattern} escape '\\'`,
        sql<boolean>`${eb.ref('email_normalized')} like ${pattern} escape '\\'`,
      ]));
    }
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
      ]));
    }
    const rows = await query.orderBy('created_at').orderBy('id').limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit);
    return { data: page.map(toContact), next_cursor: rows.length > filter.limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async get(tenantId: string, id: string): Promise<Contact> {
    return toContact(await this.row(tenantId, id));
  }

  async create(tenantId: string, input: NewContact): Promise<Contact> {
    const now = this.now();
    const row: ContactRow = {
      id: newId('ct'),
      tenant_id: tenantId,
      email: input.email,
      email_normalized: input.email.toLowerCase(),
      name: input.name ?? null,
      phone: input.phone ?? null,
      tags: JSON.stringify(input.tags ?? []),
      status: 'subscribed',
      created_at: now,
      updated_at: now,
    };
    await this.writeUnique(tenantId, row.email_normalized, () =>
      this.db.transaction().execute(async (trx) => {
        await trx.insertInto('contacts').values(row).execute();
        await recordChange(trx, { tenantId, entity: 'contact', entityId: row.id }, now);
      }),
    );
    this.changed(tenantId, row.id);
    return toContact(row);
  }

  async update(tenantId: string, id: string, changes: ContactChanges): Promise<Contact> {
    const current = await this.row(tenantId, id);
    const next: ContactRow = {
      ...current,
      email: changes.email ?? current.email,
      email_normalized: (changes.email ?? current.email).toLowerCase(),
      name: changes.name === undefined ? current.name : changes.name,
      phone: changes.phone === undefined ? current.phone : changes.phone,
      tags: changes.tags === undefined ? current.tags : JSON.stringify(changes.tags),
      updated_at: this.now(),
    };
    await this.writeUnique(tenantId, next.email_normalized === current.email_normalized ? null : next.email_normalized, () =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('contacts')
          .set({ email: next.email, email_normalized: next.email_normalized, name: next.name, phone: next.phone, tags: next.tags, updated_at: next.updated_at })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
        await recordChange(trx, { tenantId, entity: 'contact', entityId: id }, next.updated_at);
      }),
    );
    this.changed(tenantId, id);
    return toContact(next);
  }

  /** Idempotent: unsubscribing an unsubscribed contact answers it as it is. */
  async unsubscribe(tenantId: string, id: string): Promise<Contact> {
    return this.setStatus(tenantId, id, 'unsubscribed');
  }

  /** The way back from `unsubscribe` (the contact asked again), idempotent likewise. */
  async resubscribe(tenantId: string, id: string): Promise<Contact> {
    return this.setStatus(tenantId, id, 'subscribed');
  }

  private async setStatus(tenantId: string, id: string, status: ContactStatus): Promise<Contact> {
    const current = await this.row(tenantId, id);
    if (current.status === status) return toContact(current);
    const updatedAt = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('contacts').set({ status, updated_at: updatedAt }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      await recordChange(trx, { tenantId, entity: 'contact', entityId: id }, updatedAt);
    });
    this.changed(tenantId, id);
    return toContact({ ...current, status, updated_at: updatedAt });
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const deleted = await this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('contacts').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await recordChange(trx, { tenantId, entity: 'contact', entityId: id }, this.now());
      return true;
    });
    if (!deleted) throw new NotFound('no such contact');
    this.changed(tenantId, id);
  }

  /** This node drops the tenant's cached pages now; others do when they read the change log. */
  private changed(tenantId: string, id: string): void {
    this.changes.emit({ tenantId, entity: 'contact', entityId: id });
  }

  private async row(tenantId: string, id: string): Promise<ContactRow> {
    const row = await this.db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('no such contact');
    return row;
  }

  /**
   * Runs a write that may hit the (tenant, email) unique constraint. The constraint decides
   * (two concurrent creates cannot both win); a failed write is reported as 409 when a contact
   * with that email exists, and rethrown otherwise.
   */
  private async writeUnique(tenantId: string, emailNormalized: string | null, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (emailNormalized !== null) {
        const existing = await this.db
          .selectFrom('contacts')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('email_normalized', '=', emailNormalized)
          .executeTakeFirst();
        if (existing) throw new Conflict('a contact with this email already exists');
      }
      throw error;
    }
  }
}
