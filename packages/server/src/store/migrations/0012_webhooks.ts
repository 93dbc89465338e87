import type { UntypedDb } from '../dialect.js';

// Issue 21 item 1: signed webhooks per tenant and their outbox. Frozen once released.
export async function up(db: UntypedDb): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON list of event types; [] means every event.
    .addColumn('events', 'text', (c) => c.notNull())
    // `whsec_…` sealed under the master key (context `webhook_secret:<id>`): signing needs the secret itself.
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    // After rotate-secret the old secret still signs (a second signature) until this time.
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_tenant_idx').on('webhooks').column('tenant_id').execute();

  // The outbox and delivery log: one row per event and subscribed webhook, written in the
  // transaction of the change; its id is the `webhook-id` of every attempt.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
    // The exact request body, signed as is on every attempt.
    .addColumn('payload', 'text', (c) => c.notNull())
    // pending → delivered | failed (retries exhausted)
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // A node claims a row by moving lease_until into the future (conditional update); 0: free.
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_duration_ms', 'integer')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();
}

export async function down(db: UntypedDb): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
}
