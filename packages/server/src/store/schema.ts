import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as a type: a query naming a wrong table or column does not compile.
 * Portable across SQLite and PostgreSQL: times are epoch milliseconds (bigint), booleans
 * are 0/1 integers, lists are JSON text.
 */
export interface Database {
  tenants: TenantsTable;
  scopes: ScopesTable;
  apps: AppsTable;
  app_secrets: AppSecretsTable;
  app_keys: AppKeysTable;
  signing_keys: SigningKeysTable;
  change_log: ChangeLogTable;
  api_tokens: ApiTokensTable;
  opaque_tokens: OpaqueTokensTable;
  token_revocations: TokenRevocationsTable;
  audit_log: AuditLogTable;
  replay_values: ReplayValuesTable;
  contacts: ContactsTable;
  admin_accounts: AdminAccountsTable;
  admin_sessions: AdminSessionsTable;
  admin_setup_tokens: AdminSetupTokensTable;
  admin_tokens: AdminTokensTable;
  token_issuance_counts: TokenIssuanceCountsTable;
  end_users: EndUsersTable;
  user_sessions: UserSessionsTable;
  otp_codes: OtpCodesTable;
  attempt_counters: AttemptCountersTable;
  expiry_warnings: ExpiryWarningsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  usage_quotas: UsageQuotasTable;
  key_usage_counts: KeyUsageCountsTable;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  /** Public id of the tenant's end-user app: the audience of end users' tokens. */
  app_id: string;
  /** JSON TenantSettings. */
  settings: string;
  created_at: number;
}

export interface ScopesTable {
  tenant_id: string;
  name: string;
  description: string;
  is_default: number;
  created_at: number;
}

export interface AppsTable {
  id: string;
  tenant_id: string;
  client_id: string;
  name: string;
  /** JSON string[] */
  scopes: string;
  /** JSON string[]: audiences beyond the tenant's default `{issuer}/api`. */
  audiences: string;
  token_lifetime: number | null;
  token_format: string;
  /** JSON string[] */
  auth_methods: string;
  status: string;
  created_at: number;
  updated_at: number;
  /** 0/1: tokens only with a DPoP proof (RFC 9449); migration 0010. */
  require_dpop: number;
  /** JSON limits/model.ts Limits, shared by every token of the app; null: none (migration 0011). */
  limits: string | null;
}

/** A public key an app signs its client assertions with (private_key_jwt, migration 0009). */
export interface AppKeysTable {
  id: string;
  app_id: string;
  tenant_id: string;
  /** The JWK's kid, or its RFC 7638 thumbprint when it had none. */
  kid: string;
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string;
  /** The public JWK, JSON. */
  jwk: string;
  created_at: number;
}

export interface AppSecretsTable {
  id: string;
  app_id: string;
  tenant_id: string;
  /** SHA-256 (base64url) of the secret. */
  secret_hash: string;
  /** AES-256-GCM copy, only for apps that allow signed requests (HMAC needs the secret). */
  sealed_secret: string | null;
  hint: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  tenant_id: string;
  alg: string;
  /** next → current → retired */
  state: string;
  public_jwk: string;
  /** PKCS#8 PEM sealed under the master key, bound to the kid. */
  private_key_sealed: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  /** When a retired key may be removed: the last token it signed has expired. */
  remove_after: number | null;
}

/**
 * Every write that a cache depends on appends a row here; each node polls it (and, on
 * PostgreSQL, is woken by NOTIFY) to drop stale cache entries within a second.
 */
export interface ChangeLogTable {
  id: Generated<number>;
  tenant_id: string;
  entity: string;
  entity_id: string;
  created_at: number;
}

/** Signed-request profile: a signature_value a client used, remembered until it can no longer be replayed. */
export interface ReplayValuesTable {
  client_id: string;
  /** SHA-256 (base64url) of the signature_value. */
  value_hash: string;
  expires_at: number;
}

export type TenantRow = Selectable<TenantsTable>;
export type ScopeRow = Selectable<ScopesTable>;
export type AppRow = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type AppUpdate = Updateable<AppsTable>;
export type AppSecretRow = Selectable<AppSecretsTable>;
export type AppKeyRow = Selectable<AppKeysTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;

export interface ApiTokensTable {
  id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 (base64url) of the `kmk_` token; the token itself is never stored. */
  token_hash: string;
  hint: string;
  /** JSON string[] */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  /** JSON limits/model.ts Limits; null: none (migration 0011). */
  limits: string | null;
}

/** Live opaque (`kma_`) access tokens; revoked ones are deleted, expired ones purged. */
export interface OpaqueTokensTable {
  token_hash: string;
  tenant_id: string;
  client_id: string;
  jti: string;
  /** JSON string[] */
  scopes: string;
  audience: string;
  issued_at: number;
  expires_at: number;
  /** RFC 9449 §6: thumbprint of the DPoP key the token is bound to; null for a Bearer token. */
  jkt: string | null;
}

/**
 * JWT revocations still in force: one jti, or every token of a client issued before a time.
 * `expires_at` is when the revoked tokens have all expired and the row can go.
 */
export interface TokenRevocationsTable {
  id: Generated<number>;
  tenant_id: string;
  jti: string | null;
  client_id: string | null;
  issued_before: number | null;
  expires_at: number;
  created_at: number;
  /** An end-user session whose access tokens are all revoked (0005_users). */
  session_id: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  tenant_id: string | null;
  /** cli, admin, system or client */
  actor: string;
  actor_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  /** JSON object, never a secret. */
  detail: string | null;
  created_at: number;
}

export type ApiTokenRow = Selectable<ApiTokensTable>;
export type OpaqueTokenRow = Selectable<OpaqueTokensTable>;
export type TokenRevocationRow = Selectable<TokenRevocationsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export interface ContactsTable {
  id: string;
  tenant_id: string;
  email: string;
  /** Lowercased email: unique per tenant. */
  email_normalized: string;
  name: string | null;
  phone: string | null;
  /** JSON string[] */
  tags: string;
  /** subscribed | unsubscribed */
  status: string;
  created_at: number;
  updated_at: number;
}

export type ContactRow = Selectable<ContactsTable>;

/** Admin console and API (migration 0006). Times epoch ms; see admin/service.ts. */
export interface AdminAccountsTable {
  id: string;
  email: string;
  password_hash: string | null;
  /** owner | viewer */
  role: string;
  /** null: every tenant. */
  tenant_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface AdminSessionsTable {
  id_hash: string;
  account_id: string;
  csrf_hash: string;
  created_at: number;
  expires_at: number;
  /** Last request made with the session: the admin idle timeout counts from here. */
  last_used_at: number | null;
}

export interface AdminSetupTokensTable {
  token_hash: string;
  account_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AdminTokensTable {
  id: string;
  name: string;
  token_hash: string;
  hint: string;
  role: string;
  tenant_id: string | null;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** null: never expires. */
  expires_at: number | null;
}

/** Uses left of each quota (limits/), keyed `quota:{credential}:{since}` (migration 0011). */
export interface UsageQuotasTable {
  key: string;
  remaining: number;
  /** Epoch ms from which the next use refills the quota; 0: never. */
  refill_at: number;
}

/** Outcomes per credential (`token:{id}` / `app:{client_id}`) per hour (migration 0011). */
export interface KeyUsageCountsTable {
  tenant_id: string;
  subject: string;
  hour: number;
  outcome: string;
  count: number;
  last_used_at: number;
}

export interface TokenIssuanceCountsTable {
  tenant_id: string;
  client_id: string;
  hour: number;
  count: number;
}

export type AdminAccountRow = Selectable<AdminAccountsTable>;
export type AdminTokenRow = Selectable<AdminTokensTable>;

/** End users of a tenant's app (DESIGN "End user"). */
export interface EndUsersTable {
  id: string;
  tenant_id: string;
  email: string;
  /** NFC, then lowercased (users/email.ts): unique per tenant. */
  email_normalized: string;
  /** `scrypt$N$r$p$salt$hash` (crypto/password.ts); null when the account only signs in by code. */
  password_hash: string | null;
  /** When the owner of the email proved it (users/email-proof.ts); null: never, the `email_verified: false` of tokens. */
  email_verified_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface UserSessionsTable {
  /** The `sid` claim. */
  id: string;
  tenant_id: string;
  user_id: string;
  created_at: number;
  /** Last sign-in or refresh: the idle timeout counts from here. */
  last_used_at: number;
  /** Absolute end of the session. */
  expires_at: number;
  /** Expiry of the newest access token issued for the session. */
  access_expires_at: number;
  revoked_at: number | null;
  /** RFC 9449: thumbprint of the DPoP key the session's refresh tokens are bound to; null: a Bearer session. */
  jkt: string | null;
  /** The first characters of every `kmr_` token of the session (crypto/refresh-token.ts); null for sessions older than migration 0015. */
  refresh_handle: string | null;
  /** SHA-256 (base64url) of the session's one live refresh token. */
  refresh_hash: string | null;
  /** How many rotations the session has made (the live token's generation, 0 at sign-in). */
  refresh_generation: number;
  /** When the live refresh token was issued by a rotation; null until the first rotation. */
  refresh_rotated_at: number | null;
  /** Start of the current burst of rotations (each within the reuse grace of the one before), for the grace's chain rule. */
  refresh_burst_started_at: number | null;
  /** How many rotations the current burst has made: tokens that many generations back were spent inside it. */
  refresh_burst_length: number;
}

/** The one live sign-in code per email and tenant. */
export interface OtpCodesTable {
  tenant_id: string;
  email_normalized: string;
  code_hash: string;
  attempts: number;
  expires_at: number;
  created_at: number;
}

/** One attempt budget's count in its current window (attempts/database-store.ts). */
export interface AttemptCountersTable {
  key: string;
  count: number;
  reset_at: number;
}

/** An expiry warning already recorded (leaks/expiry-warnings.ts): once per credential and threshold. */
export interface ExpiryWarningsTable {
  kind: string;
  credential_id: string;
  threshold_days: number;
  created_at: number;
}

export type EndUserRow = Selectable<EndUsersTable>;
export type UserSessionRow = Selectable<UserSessionsTable>;

/** A tenant's webhook subscription (webhooks/). */
export interface WebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  /** JSON list of event types; [] means every event. */
  events: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: number | null;
  created_at: number;
}

/** The outbox and delivery log: one row per event and webhook; `id` is the `webhook-id`. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  tenant_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  lease_until: number;
  lease_owner: string | null;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  last_duration_ms: number | null;
  delivered_at: number | null;
  created_at: number;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
