import type { AuditEntry } from './service.js';

/**
 * The one wire shape of an audit entry, shared by the admin API (`GET …/audit`) and
 * `keymint audit list --json`: snake_case, times in ISO 8601, `tenant` the slug (null for events
 * of no tenant, such as an admin of every tenant signing in).
 */
export interface AuditEntryView {
  id: number;
  action: string;
  actor: string;
  actor_id: string | null;
  target: string | null;
  tenant: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
  created_at: string;
}

export function auditView(e: AuditEntry, tenantSlug: string | null): AuditEntryView {
  return {
    id: e.id, action: e.action, actor: e.actor, actor_id: e.actorId, target: e.target, tenant: tenantSlug, ip: e.ip, detail: e.detail, created_at: new Date(e.createdAt).toISOString(),
  };
}
