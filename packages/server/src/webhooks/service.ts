import type { Logger } from 'pino';
import type { AuditContext, AuditLog } from '../audit/service.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import { newId, randomLowerAlnum } from '../crypto/random.js';
import { generateWebhookSecret, signWebhook } from '../crypto/webhook-signature.js';
import { InvalidRequest, KeymintError, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import { traceWebhookDelivery } from '../telemetry/tracing.js';
import type { WebhookDeliveryRow, WebhookRow } from '../store/schema.js';
import { parseStringList } from '../util/json.js';
import { checkWebhookUrl, type UrlPolicy } from './address-policy.js';
import { validateEventPatterns } from './catalog.js';
import { resolveTarget, send, systemResolver, type Resolver, type SendLimits } from './sender.js';

export interface WebhookInfo {
  id: string;
  url: string;
  /** [] means every event. */
  events: string[];
  createdAt: number;
  /** After rotate-secret: until when the previous secret still signs too (epoch ms); else null. */
  previousSecretExpiresAt: number | null;
}

export interface NewWebhookSecret {
  webhook: WebhookInfo;
  /** `whsec_…`, shown once. */
  secret: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryInfo {
  /** The `webhook-id` of every attempt. */
  id: string;
  webhookId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  lastDurationMs: number | null;
  deliveredAt: number | null;
  createdAt: number;
}

export interface WebhookDeliveryOptions extends SendLimits {
  /** Seconds to wait before each retry after a failed attempt; once spent, the delivery is `failed`. */
  retrySeconds: readonly number[];
  /** How long the previous secret keeps signing after rotate-secret (ms). */
  secretOverlapMs: number;
}

export interface WebhookServiceOptions {
  db: Db;
  keyring: MasterKeyring;
  audit: AuditLog;
  now: () => number;
  log: Logger;
  policy: UrlPolicy;
  delivery: WebhookDeliveryOptions;
  /** Host name resolution (node:dns unless a test simulates DNS answers). */
  resolve?: Resolver;
}

const MAX_WEBHOOKS_PER_TENANT = 20;
/** Delivered and failed deliveries are kept this long in the delivery log (docs/webhooks.md). */
const DELIVERY_LOG_RETENTION_MS = 30 * 86_400_000;
const secretContext = (id: string) => `webhook_secret:${id}`;

function toInfo(row: WebhookRow, now: number): WebhookInfo {
  const previousUntil = row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at);
  return {
    id: row.id, url: row.url, events: parseStringList(row.events), createdAt: Number(row.created_at),
    previousSecretExpiresAt: previousUntil !== null && previousUntil > now ? previousUntil : null,
  };
}

function toDelivery(row: WebhookDeliveryRow): DeliveryInfo {
  const at = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id, webhookId: row.webhook_id, eventType: row.event_type, status: row.status, attempts: Number(row.attempts),
    nextAttemptAt: row.status === 'pending' ? Number(row.next_attempt_at) : null,
    lastStatus: row.last_status, lastError: row.last_error, lastAttemptAt: at(row.last_attempt_at),
    lastDurationMs: row.last_duration_ms, deliveredAt: at(row.delivered_at), createdAt: Number(row.created_at),
  };
}

/**
 * A tenant's webhooks (docs/webhooks.md): subscriptions with a sealed Standard Webhooks secret,
 * and the delivery of their outbox rows (written by audit/service.ts through WebhookOutbox in
 * the transaction of each change). Any node delivers: a row is claimed by a conditional update
 * of its lease, so two nodes never send one attempt at once; an attempt that dies with its node
 * is sent again when the lease runs out (at least once).
 */
export class WebhookService {
  private delivering = false;
  private readonly resolve: Resolver;

  constructor(private readonly deps: WebhookServiceOptions) {
    this.resolve = deps.resolve ?? systemResolver;
  }

  /** @throws {InvalidRequest} a bad or refused URL, an unknown event type, too many webhooks. */
  async create(tenantId: string, input: { url: string; events?: string[] }, context: AuditContext): Promise<NewWebhookSecret> {
    const { db, keyring, audit } = this.deps;
    const events = validateEventPatterns(input.events ?? []);
    const url = await this.checkUrl(input.url);
    const now = this.deps.now();
    const id = newId('wh');
    const secret = generateWebhookSecret();
    const row: WebhookRow = {
      id, tenant_id: tenantId, url: url.href, events: JSON.stringify(events), secret_sealed: keyring.seal(secret, secretContext(id)),
      previous_secret_sealed: null, previous_secret_expires_at: null, created_at: now,
    };
    await db.transaction().execute(async (trx) => {
      const { count } = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('count')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
      if (Number(count) >= MAX_WEBHOOKS_PER_TENANT) throw new InvalidRequest(`a tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhooks`);
      await trx.insertInto('webhooks').values(row).execute();
      await audit.recordIn(trx, context, { tenantId, action: 'webhook.created', target: id, detail: { url: url.href, events } });
    });
    return { webhook: toInfo(row, now), secret };
  }

  async list(tenantId: string): Promise<WebhookInfo[]> {
    const rows = await this.deps.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
    const now = this.deps.now();
    return rows.map((row) => toInfo(row, now));
  }

  /**
   * Changes a webhook's URL and/or events (config-as-code apply); the secret stays. The new URL is
   * checked like a new webhook's (SSRF policy). @throws {NotFound} @throws {InvalidRequest}
   */
  async update(tenantId: string, id: string, input: { url?: string; events?: string[] }, context: AuditContext): Promise<WebhookInfo> {
    const { db, audit } = this.deps;
    const row = await this.read(tenantId, id);
    const events = input.events === undefined ? parseStringList(row.events) : validateEventPatterns(input.events);
    const url = input.url === undefined ? row.url : (await this.checkUrl(input.url)).href;
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('webhooks').set({ url, events: JSON.stringify(events) }).where('id', '=', id).execute();
      await audit.recordIn(trx, context, { tenantId, action: 'webhook.updated', target: id, detail: { url, events } });
    });
    return toInfo({ ...row, url, events: JSON.stringify(events) }, this.deps.now());
  }

  /** Deletes the webhook and its delivery log; pending deliveries are never sent. @throws {NotFound} */
  async delete(tenantId: string, id: string, context: AuditContext): Promise<WebhookInfo> {
    const { db, audit } = this.deps;
    const row = await this.read(tenantId, id);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
      await audit.recordIn(trx, context, { tenantId, action: 'webhook.deleted', target: id, detail: { url: row.url } });
    });
    return toInfo(row, this.deps.now());
  }

  /**
   * A new secret signs from now on; the previous one adds a second signature for the overlap
   * period (docs/webhooks.md), so receivers can switch without losing a delivery. @throws {NotFound}
   */
  async rotateSecret(tenantId: string, id: string, context: AuditContext): Promise<NewWebhookSecret> {
    const { db, keyring, audit, delivery } = this.deps;
    const row = await this.read(tenantId, id);
    const now = this.deps.now();
    const secret = generateWebhookSecret();
    const next: WebhookRow = {
      ...row, secret_sealed: keyring.seal(secret, secretContext(id)),
      previous_secret_sealed: row.secret_sealed, previous_secret_expires_at: now + delivery.secretOverlapMs,
    };
    await db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('webhooks')
        .set({ secret_sealed: next.secret_sealed, previous_secret_sealed: next.previous_secret_sealed, previous_secret_expires_at: next.previous_secret_expires_at })
        .where('id', '=', id).where('secret_sealed', '=', row.secret_sealed).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new InvalidRequest('the secret was rotated at the same moment by someone else; try again');
      await audit.recordIn(trx, context, { tenantId, action: 'webhook.secret_rotated', target: id, detail: { previous_secret_expires_at: next.previous_secret_expires_at } });
    });
    return { webhook: toInfo(next, now), secret };
  }

  /** The delivery log of one webhook, newest first. @throws {NotFound} */
  async deliveries(tenantId: string, id: string, limit = 100): Promise<DeliveryInfo[]> {
    await this.read(tenantId, id);
    const rows = await this.deps.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toDelivery);
  }

  /** Deletes delivered and failed deliveries older than the log's retention (30 days); pending ones stay. */
  async purgeExpired(): Promise<number> {
    const result = await this.deps.db.deleteFrom('webhook_deliveries').where('status', 'in', ['delivered', 'failed'])
      .where('created_at', '<', this.deps.now() - DELIVERY_LOG_RETENTION_MS).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Sends every due delivery once (jobs.ts calls it every second on every node); a run still
   * going when the next tick comes is not doubled. Returns how many attempts this node made.
   */
  async deliverDue(batch = 20): Promise<number> {
    if (this.delivering) return 0;
    this.delivering = true;
    try {
      const now = this.deps.now();
      const due = await this.deps.db.selectFrom('webhook_deliveries').select('id')
        .where('status', '=', 'pending').where('next_attempt_at', '<=', now).where('lease_until', '<', now)
        .orderBy('next_attempt_at').limit(batch).execute();
      const sent = await Promise.all(due.map(({ id }) => this.attempt(id)));
      return sent.filter(Boolean).length;
    } finally {
      this.delivering = false;
    }
  }

  /** Claims one delivery (a conditional update: one node wins), sends it and records the outcome. */
  private async attempt(id: string): Promise<boolean> {
    const { db, delivery, log } = this.deps;
    const now = this.deps.now();
    const owner = randomLowerAlnum(16);
    const claimed = await db.updateTable('webhook_deliveries')
      .set((eb) => ({ lease_until: now + delivery.totalTimeoutMs + 30_000, lease_owner: owner, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id).where('status', '=', 'pending').where('next_attempt_at', '<=', now).where('lease_until', '<', now)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', row.webhook_id).executeTakeFirst();
    const outcome = hook
      ? await traceWebhookDelivery({ webhookId: row.webhook_id, eventType: row.event_type, attempt: Number(row.attempts) }, () => this.sendOnce(hook, row)).catch((error: unknown) => {
        log.error({ err: error, webhook: row.webhook_id }, 'webhook delivery failed unexpectedly');
        return { ok: false, status: null, error: 'internal error preparing the delivery', durationMs: 0 };
      })
      : { ok: false, status: null, error: 'the webhook was deleted', durationMs: 0 };
    const attempts = Number(row.attempts);
    const retryIn = delivery.retrySeconds[attempts - 1];
    const finished = this.deps.now();
    const status = outcome.ok ? 'delivered' : !hook || retryIn === undefined ? 'failed' : 'pending';
    await db.updateTable('webhook_deliveries').set({
      status, lease_until: 0, lease_owner: null,
      next_attempt_at: status === 'pending' ? finished + retryIn! * 1000 : Number(row.next_attempt_at),
      last_status: outcome.status, last_error: outcome.error, last_attempt_at: now, last_duration_ms: outcome.durationMs,
      delivered_at: outcome.ok ? finished : null,
    }).where('id', '=', id).where('lease_owner', '=', owner).execute();
    return true;
  }

  private async sendOnce(hook: WebhookRow, row: WebhookDeliveryRow) {
    const { keyring, policy, delivery } = this.deps;
    const url = new URL(hook.url);
    let target;
    try {
      target = await resolveTarget(url, policy, this.resolve);
    } catch (error) {
      if (error instanceof KeymintError) return { ok: false, status: null, error: error.message, durationMs: 0 };
      throw error;
    }
    const secrets = [keyring.open(hook.secret_sealed, secretContext(hook.id))];
    if (hook.previous_secret_sealed && hook.previous_secret_expires_at !== null && Number(hook.previous_secret_expires_at) > this.deps.now()) {
      secrets.push(keyring.open(hook.previous_secret_sealed, secretContext(hook.id)));
    }
    const timestamp = Math.floor(this.deps.now() / 1000);
    return send(url, target, {
      'webhook-id': row.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secrets, row.id, timestamp, row.payload),
    }, row.payload, delivery);
  }

  private async checkUrl(text: string): Promise<URL> {
    const url = checkWebhookUrl(text, this.deps.policy);
    await resolveTarget(url, this.deps.policy, this.resolve);
    return url;
  }

  private async read(tenantId: string, id: string): Promise<WebhookRow> {
    const row = await this.deps.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`webhook ${id} does not exist in this tenant`);
    return row;
  }
}
