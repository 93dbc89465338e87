import type { Logger } from 'pino';
import type { Insertable } from 'kysely';
import type { Db } from '../store/database.js';
import type { AuditLogRow, AuditLogTable } from '../store/schema.js';

/** Who acted: an operator at the CLI, the admin API, Keymint itself, an API client, or an end user. */
export type AuditActor = 'cli' | 'admin' | 'system' | 'client' | 'user';

/** Where a credential change came from; services take it from their caller. */
export interface AuditContext {
  actor: AuditActor;
  /** The admin's email, the client_id... whatever names the actor, never a secret. */
  actorId?: string | null;
  ip?: string | null;
}

export const SYSTEM: AuditContext = Object.freeze({ actor: 'system' });

/** Credential events the log records. */
export type AuditAction =
  | 'app.created'
  | 'app.disabled'
  | 'app.secret_added'
  | 'app.secret_revoked'
  | 'app.keys_added'
  | 'app.key_removed'
  | 'app.tokens_revoked'
  | 'api_token.created'
  | 'api_token.revoked'
  | 'api_token.limits_changed'
  | 'signing_key.staged'
  | 'signing_key.rotated'
  | 'signing_key.removed'
  | 'signing_key.withdrawn'
  | 'client.authentication_failures'
  // Admin API and console (admin/).
  | 'app.updated'
  | 'scope.added'
  | 'scope.updated'
  | 'tenant.renamed'
  | 'tenant.created'
  | 'tenant.settings_updated'
  | 'admin.created'
  | 'admin.setup_completed'
  | 'admin.signed_in'
  | 'admin.sign_in_failed'
  | 'admin.signed_out'
  | 'admin_token.created'
  | 'admin_token.revoked'
  // End users (users/).
  | 'user.sessions_revoked'
  | 'user.session_revoked'
  | 'user.refresh_token_reused'
  | 'user.settings_updated'
  // Email proof and passwords (users/email-proof.ts, users/passwords.ts).
  | 'user.unproven_password_removed'
  | 'user.email_verified'
  | 'user.password_changed'
  | 'user.password_reset'
  // Guesses really checked (attempts/): a failed password, a wrong code compared.
  | 'user.sign_in_failed'
  | 'user.code_failed'
  // An account's failures from all addresses reached the ceiling: password sign-in throttled.
  | 'user.sign_in_throttled'
  | 'admin.sign_in_throttled'
  // Leaked credentials (leaks/): one per credential revoked from a report; expiry warnings.
  | 'credential.leaked'
  | 'credential.expiring'
  // Webhooks (webhooks/).
  | 'webhook.created'
  | 'webhook.deleted'
  | 'webhook.secret_rotated'
  | 'webhook.updated';

/**
 * Audit filter: times epoch ms; `before` pages by id. `tenantId` must always be written out:
 * undefined means every tenant and the events of none (operators at the CLI only; the admin API
 * always passes the tenant of the URL).
 */
export interface AuditFilter {
  tenantId: string | undefined;
  actor?: string;
  actorId?: string;
  action?: string;
  target?: string;
  since?: number;
  until?: number;
  before?: number;
  limit?: number;
}

export interface AuditEvent {
  tenantId: string | null;
  action: AuditAction;
  target?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  tenantId: string | null;
  actor: AuditActor;
  actorId: string | null;
  action: AuditAction;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
  createdAt: number;
}

/** Writes the webhook outbox rows of audit entries in the caller's transaction (webhooks/outbox.ts). */
export interface AuditOutbox {
  enqueueIn(trx: Db, entries: readonly Insertable<AuditLogTable>[]): Promise<unknown>;
}

/**
 * Append-only audit log of credential events. `record` only queues: the write happens in
 * batches on a timer (and on close), so a token request that trips a limit or an operator
 * command never waits on it; the batch's webhook outbox rows are written in the batch's
 * transaction. `recordIn` writes the entry and its outbox rows in the caller's transaction,
 * so the event exists exactly when the change does.
 */
export class AuditLog {
  private queue: Insertable<AuditLogTable>[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly outbox?: AuditOutbox,
  ) {}

  /** Writes the entry and its webhook outbox rows now, in `trx` (the transaction of the change). */
  async recordIn(trx: Db, context: AuditContext, event: AuditEvent): Promise<void> {
    const row = this.toRow(context, event);
    await trx.insertInto('audit_log').values(row).execute();
    await this.outbox?.enqueueIn(trx, [row]);
  }

  record(context: AuditContext, event: AuditEvent): void {
    this.queue.push(this.toRow(context, event));
    // Bounded: if the database is down for long, the oldest entries go to the process log instead.
    if (this.queue.length > 10_000) this.log.warn({ dropped: this.queue.shift() }, 'audit queue full');
  }

  private toRow(context: AuditContext, event: AuditEvent): Insertable<AuditLogTable> {
    return {
      tenant_id: event.tenantId,
      actor: context.actor,
      actor_id: context.actorId ?? null,
      action: event.action,
      target: event.target ?? null,
      ip: context.ip ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
      created_at: this.now(),
    };
  }

  /** Writes everything queued so far; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      try {
        await this.db.transaction().execute(async (trx) => {
          for (let i = 0; i < batch.length; i += 500) {
            await trx.insertInto('audit_log').values(batch.slice(i, i + 500)).execute();
          }
          await this.outbox?.enqueueIn(trx, batch);
        });
      } catch (error) {
        this.queue.unshift(...batch);
        this.log.error({ err: error }, 'audit log write failed; will retry');
      }
    });
    return this.flushing;
  }

  /** Newest first, filtered (admin API audit view, `keymint audit list`). */
  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    await this.flush();
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.target !== undefined) query = query.where('target', '=', filter.target);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
    return rows.map(toEntry);
  }

  /** Newest first; for the admin API, the CLI and tests. */
  async list(tenantId: string, limit = 100): Promise<AuditEntry[]> {
    await this.flush();
    const rows = await this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    actor: row.actor as AuditActor,
    actorId: row.actor_id,
    action: row.action as AuditAction,
    target: row.target,
    ip: row.ip,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    createdAt: Number(row.created_at),
  };
}
