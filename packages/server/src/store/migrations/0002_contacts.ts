import type { UntypedDb } from '../dialect.js';

// Contacts of the resource API (DESIGN "Resource API"), one set per tenant.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('contacts')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    // Lowercased email: uniqueness and the email filter ignore case, as mail systems do.
    .addColumn('email_normalized', 'varchar(320)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)')
    .addColumn('phone', 'varchar(64)')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('contacts_tenant_email_uq', ['tenant_id', 'email_normalized'])
    .execute();
  // Keyset pagination walks (created_at, id) within a tenant.
  await db.schema.createIndex('contacts_tenant_page_idx').on('contacts').columns(['tenant_id', 'created_at', 'id']).execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('contacts').execute();
}
