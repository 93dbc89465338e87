import type { Static } from '@sinclair/typebox';
import type { ApiTokenInfo } from '../api-tokens/model.js';
import type { App, AppKeyInfo, SecretInfo } from '../apps/model.js';
import type { NewSecret } from '../apps/service.js';
import type { SigningKeyInfo } from '../keys/model.js';
import type { RotationResult } from '../keys/service.js';
import type { Scope, Tenant } from '../tenants/model.js';
import type { EndUser, EndUserSummary, UserSession } from '../users/model.js';
import type { DeliveryInfo, NewWebhookSecret, WebhookInfo } from '../webhooks/service.js';
import type { AdminTokenInfo } from './model.js';
import { formatRate, type Limits, type LimitsInput } from '../limits/model.js';
import type { KeyUsage } from './usage.js';
import type * as S from './schemas.js';

/**
 * The one serializer per resource (issue 17 item 3): the admin API answers with these, the
 * CLI's `--json` prints them, and the console reads their schemas' types. Each returns its
 * schema's Static type, so a field added here and not in schemas.ts (or the reverse) does not
 * compile.
 */

/** Epoch ms → ISO 8601; null stays null. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const at = (ms: number): string => new Date(ms).toISOString();

export const tenantView = (t: Tenant, issuer: string): Static<typeof S.TenantView> => ({ tenant: t.slug, name: t.name, issuer, app_id: t.appId, created_at: at(t.createdAt) });
export const settingsView = (t: Tenant): Static<typeof S.SettingsView> => ({ tenant: t.slug, default_token_lifetime: t.settings.defaultTokenLifetime, signed_request_window: t.settings.signedRequestMaxSkew, signing_alg: t.settings.signingAlg });
export const scopeView = (s: Scope): Static<typeof S.ScopeView> => ({ name: s.name, description: s.description, default: s.isDefault });
/** A key's limits in the admin API's words (`100/1m`), for apps and API tokens alike. */
export const limitsView = (l: Limits): Static<typeof S.LimitsView> => ({
  rate_limit: l.rateLimit && formatRate(l.rateLimit.max, l.rateLimit.windowMs),
  quota: l.quota?.max ?? null,
  quota_refill: l.quota?.refill ? formatRate(l.quota.refill.amount, l.quota.refill.periodMs) : null,
  fail_open: l.failOpen,
});
/** The admin API's limits body as the services take it. */
export const limitsInput = (b: Static<typeof S.LimitsBody>): LimitsInput => ({ rateLimit: b.rate_limit, quota: b.quota, quotaRefill: b.quota_refill, failOpen: b.fail_open });
/** `token_lifetime` is what the app's tokens live (the tenant's default applied); `token_lifetime_default` says whether it follows that default. */
export const appView = (a: App, tenant: Tenant): Static<typeof S.AppView> => ({
  client_id: a.clientId, name: a.name, scopes: a.scopes, audiences: a.audiences,
  token_lifetime: a.tokenLifetime ?? tenant.settings.defaultTokenLifetime, token_lifetime_default: a.tokenLifetime === null, token_format: a.tokenFormat,
  auth_methods: a.authMethods, status: a.status, created_at: at(a.createdAt), updated_at: at(a.updatedAt),
  require_dpop: a.requireDpop,
  limits: limitsView(a.limits),
});
export const appKeyView = (k: AppKeyInfo): Static<typeof S.AppKeyView> => ({ kid: k.kid, thumbprint: k.thumbprint, kty: k.kty, alg: k.alg, created_at: at(k.createdAt) });
export const newSecretView = (s: NewSecret): Static<typeof S.NewSecretView> => ({ secret_id: s.secretId, client_secret: s.clientSecret, expires_at: iso(s.expiresAt) });
export const secretView = (s: SecretInfo): Static<typeof S.SecretView> => ({
  secret_id: s.id, hint: s.hint, status: s.status, created_at: at(s.createdAt), expires_at: iso(s.expiresAt), last_used_at: iso(s.lastUsedAt), revoked_at: iso(s.revokedAt),
});
export const apiTokenView = (t: ApiTokenInfo): Static<typeof S.ApiTokenView> => ({
  id: t.id, name: t.name, hint: t.hint, scopes: t.scopes, status: t.status, created_at: at(t.createdAt), expires_at: iso(t.expiresAt), last_used_at: iso(t.lastUsedAt), revoked_at: iso(t.revokedAt), limits: limitsView(t.limits),
});
export const keyView = (k: SigningKeyInfo): Static<typeof S.KeyView> => ({
  // For a `next` key activated_at is when it is scheduled to start signing (null: not scheduled).
  kid: k.kid, alg: k.alg, state: k.state, created_at: at(k.createdAt), activated_at: iso(k.activatedAt), retired_at: iso(k.retiredAt), remove_after: iso(k.removeAfter),
});
/** `keys`: the tenant's keys after the rotation. */
export const rotationView = (r: RotationResult, keys: SigningKeyInfo[]): Static<typeof S.RotationView> => ({
  promoted: r.promoted, next: { kid: r.next.kid, activates_at: at(r.next.activatesAt) }, keys: keys.map(keyView),
});
export const adminTokenView = (t: AdminTokenInfo, tenantSlug: string | null): Static<typeof S.AdminTokenView> => ({
  id: t.id, name: t.name, hint: t.hint, role: t.role, tenant: tenantSlug, created_by: t.createdBy, created_at: at(t.createdAt), last_used_at: iso(t.lastUsedAt), revoked_at: iso(t.revokedAt), expires_at: iso(t.expiresAt),
});
export const endUserView = (u: EndUserSummary): Static<typeof S.EndUserView> => ({ id: u.id, email: u.email, email_verified: u.emailVerified, created_at: at(u.createdAt), last_sign_in_at: iso(u.lastSignInAt) });
/** The answer to signing a user out everywhere (admin API and `keymint users signout-all`). */
export const revokedSessionsView = (userId: string, revoked: number): Static<typeof S.RevokedSessions> => ({ user_id: userId, revoked });
export const endUserBaseView = (u: EndUser): Static<typeof S.UserSessionList>['user'] => ({ id: u.id, email: u.email, email_verified: u.emailVerified, created_at: at(u.createdAt) });
/** `idleSeconds`: the tenant's idle timeout, so the console can say when an unused session ends. */
export const userSessionView = (s: UserSession, idleSeconds: number): Static<typeof S.UserSessionView> => ({
  sid: s.id, created_at: at(s.createdAt), last_used_at: at(s.lastUsedAt), expires_at: at(s.expiresAt), idle_expires_at: at(Math.min(s.expiresAt, s.lastUsedAt + idleSeconds * 1000)),
});
export const webhookView = (w: WebhookInfo): Static<typeof S.WebhookView> => ({
  id: w.id, url: w.url, events: w.events, created_at: at(w.createdAt), previous_secret_expires_at: iso(w.previousSecretExpiresAt),
});
/** `webhook create` and `rotate-secret`: the secret, shown once. */
export const newWebhookView = (n: NewWebhookSecret): Static<typeof S.NewWebhookView> => ({ id: n.webhook.id, secret: n.secret, webhook: webhookView(n.webhook) });
export const webhookDeliveryView = (d: DeliveryInfo): Static<typeof S.WebhookDeliveryView> => ({
  id: d.id, event_type: d.eventType, status: d.status, attempts: d.attempts, next_attempt_at: iso(d.nextAttemptAt), last_status: d.lastStatus,
  last_error: d.lastError, last_attempt_at: iso(d.lastAttemptAt), last_duration_ms: d.lastDurationMs, delivered_at: iso(d.deliveredAt), created_at: at(d.createdAt),
});
/** One key's outcomes (`keymint usage`, the admin API, the console's Usage page); `names` by subject. */
export const keyUsageView = (u: KeyUsage, names: ReadonlyMap<string, string>): Static<typeof S.KeyUsageEntry> => ({
  subject: u.subject,
  ...(u.subject.startsWith('token:') ? { token_id: u.subject.slice(6) } : u.subject.startsWith('app:') ? { client_id: u.subject.slice(4) } : {}),
  name: names.get(u.subject) ?? null,
  ...u.totals,
  last_used_at: at(u.lastUsedAt),
  hours: u.hours.map((h) => ({ hour: at(h.hour), ...h.counts })),
});
