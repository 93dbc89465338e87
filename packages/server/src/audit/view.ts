import type { Static } from '@sinclair/typebox';
import type * as S from '../admin/schemas.js';
import type { AuditEntry } from './service.js';

/**
 * The one wire shape of an audit entry, shared by the admin API (`GET …/audit`) and
 * `keymint audit list --json`: snake_case, times in ISO 8601, `tenant` the slug (null for events
 * of no tenant, such as an admin of every tenant signing in).
 */
export type AuditEntryView = Static<typeof S.AuditEntryView>;

export function auditView(e: AuditEntry, tenantSlug: string | null): AuditEntryView {
  return {
    id: e.id, action: e.action, actor: e.actor, actor_id: e.actorId, target: e.target, tenant: tenantSlug, ip: e.ip, detail: e.detail, created_at: new Date(e.createdAt).toISOString(),
  };
}
