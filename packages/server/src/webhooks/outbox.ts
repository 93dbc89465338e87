import type { WebhookEvent } from '@keymint/sdk/node';
import type { Insertable } from 'kysely';
import { newWebhookMessageId } from '../crypto/webhook-signature.js';
import type { Db } from '../store/database.js';
import type { AuditLogTable } from '../store/schema.js';
import { parseStringList } from '../util/json.js';
import { EVENT_TYPE_BY_ACTION, subscribes } from './catalog.js';

/**
 * The request body of every delivery (Standard Webhooks payload structure): the SDK's
 * WebhookEvent without `id`, which receivers read from the `webhook-id` header. One type, so
 * what the server sends and what the SDK's verifier hands receivers cannot drift apart.
 */
export type WebhookPayload = Omit<WebhookEvent, 'id'>;

/**
 * Writes the outbox rows of audit entries, in the caller's transaction (the change's own, or
 * the audit batch's): one pending delivery per entry whose action is in the event catalog and
 * webhook of the entry's tenant subscribed to its type. Entries of no tenant are not delivered.
 */
export class WebhookOutbox {
  constructor(private readonly now: () => number) {}

  async enqueueIn(trx: Db, entries: readonly Insertable<AuditLogTable>[]): Promise<number> {
    const events = entries.filter((e) => e.tenant_id && EVENT_TYPE_BY_ACTION[e.action] !== undefined);
    if (events.length === 0) return 0;
    const tenantIds = [...new Set(events.map((e) => e.tenant_id!))];
    const hooks = await trx.selectFrom('webhooks').innerJoin('tenants', 'tenants.id', 'webhooks.tenant_id')
      .select(['webhooks.id', 'webhooks.tenant_id', 'webhooks.events', 'tenants.slug'])
      .where('webhooks.tenant_id', 'in', tenantIds).execute();
    if (hooks.length === 0) return 0;
    const now = this.now();
    const rows = [];
    for (const event of events) {
      const type = EVENT_TYPE_BY_ACTION[event.action]!;
      for (const hook of hooks) {
        if (hook.tenant_id !== event.tenant_id || !subscribes(parseStringList(hook.events), type)) continue;
        const payload: WebhookPayload = {
          type,
          timestamp: new Date(event.created_at).toISOString(),
          data: {
            tenant: hook.slug,
            actor: event.actor,
            actor_id: event.actor_id ?? null,
            target: event.target ?? null,
            detail: event.detail ? (JSON.parse(event.detail) as Record<string, unknown>) : null,
          },
        };
        rows.push({
          id: newWebhookMessageId(), webhook_id: hook.id, tenant_id: hook.tenant_id, event_type: type,
          payload: JSON.stringify(payload), status: 'pending' as const, attempts: 0,
          next_attempt_at: now, lease_until: 0, lease_owner: null, last_status: null, last_error: null,
          last_attempt_at: null, last_duration_ms: null, delivered_at: null, created_at: now,
        });
      }
    }
    for (let i = 0; i < rows.length; i += 200) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 200)).execute();
    return rows.length;
  }
}
