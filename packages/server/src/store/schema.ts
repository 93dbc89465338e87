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
  signing_keys: SigningKeysTable;
  change_log: ChangeLogTable;
  contacts: ContactsTable;
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

export type TenantRow = Selectable<TenantsTable>;
export type ScopeRow = Selectable<ScopesTable>;
export type AppRow = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type AppUpdate = Updateable<AppsTable>;
export type AppSecretRow = Selectable<AppSecretsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;

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
