import { InvalidRequest } from '../errors.js';

/**
 * The webhook event catalog (docs/webhooks.md): the audit action each event type is made from.
 * Every audited change is an event; failed guesses and throttling (`*.sign_in_failed`,
 * `user.code_failed`, `client.authentication_failures`, `*.sign_in_throttled`) change nothing and
 * happen at a rate an attacker chooses, so they stay in the audit log only.
 */
export const EVENT_TYPE_BY_ACTION: Readonly<Record<string, string>> = Object.freeze({
  'app.created': 'app.created',
  'app.updated': 'app.updated',
  'app.disabled': 'app.disabled',
  'app.secret_added': 'app.secret.created',
  'app.secret_revoked': 'app.secret.revoked',
  'app.tokens_revoked': 'app.tokens.revoked',
  'api_token.created': 'api_token.created',
  'api_token.revoked': 'api_token.revoked',
  'signing_key.staged': 'key.staged',
  'signing_key.rotated': 'key.rotated',
  'signing_key.withdrawn': 'key.withdrawn',
  'signing_key.removed': 'key.removed',
  'tenant.created': 'tenant.created',
  'tenant.settings_updated': 'tenant.settings.updated',
  'scope.added': 'scope.added',
  'admin.created': 'admin.created',
  'admin.setup_completed': 'admin.setup_completed',
  'admin.signed_in': 'admin.signed_in',
  'admin.signed_out': 'admin.signed_out',
  'admin_token.created': 'admin.token.created',
  'admin_token.revoked': 'admin.token.revoked',
  'user.sessions_revoked': 'user.sessions_revoked',
  'user.session_revoked': 'user.session_revoked',
  'user.refresh_token_reused': 'user.refresh_token_reused',
  'user.settings_updated': 'user.settings.updated',
  'user.password_changed': 'user.password_changed',
  'user.password_reset': 'user.password_reset',
  'user.email_verified': 'user.email_verified',
  'user.unproven_password_removed': 'user.unproven_password_removed',
  // Recorded by leaked-credential revocation and expiry warnings (issue 21 item 2).
  'credential.leaked': 'credential.leaked',
  'credential.expiring': 'credential.expiring',
  'webhook.created': 'webhook.created',
  'webhook.deleted': 'webhook.deleted',
  'webhook.secret_rotated': 'webhook.secret.rotated',
  'webhook.updated': 'webhook.updated',
});

export const WEBHOOK_EVENT_TYPES: readonly string[] = Object.freeze([...new Set(Object.values(EVENT_TYPE_BY_ACTION))].sort());

/** Whether a subscription (`[]`: everything; exact types or `family.*`) wants an event type. */
export function subscribes(patterns: readonly string[], type: string): boolean {
  return patterns.length === 0 || patterns.some((p) => p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/**
 * Checks `--events`: each entry an event type of the catalog or `family.*` matching at least one.
 * @throws {InvalidRequest} naming the unknown entries.
 */
export function validateEventPatterns(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns.map((p) => p.trim()).filter((p) => p !== ''))];
  const unknown = unique.filter((p) => !WEBHOOK_EVENT_TYPES.some((type) => subscribes([p], type)));
  if (unknown.length > 0) throw new InvalidRequest(`unknown event type(s): ${unknown.join(', ')}; see docs/webhooks.md (e.g. app.created, app.*)`);
  if (unique.length > 50) throw new InvalidRequest('at most 50 event types per webhook');
  return unique;
}
