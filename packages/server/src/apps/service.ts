import type { JWK } from 'jose';
import { SYSTEM, type AuditContext, type AuditLog } from '../audit/service.js';
import { Conflict } from '../errors.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import { newId, randomLowerAlnum } from '../crypto/random.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { InRevocation } from '../leaks/service.js';
import type { AppRow } from '../store/schema.js';
import type { Scope } from '../tenants/model.js';
import type { CacheStats } from '../util/cache-stats.js';
import { ClientRecords, type ClientRecord } from './clients.js';
import { InvalidRequest } from '../errors.js';
import { AppKeys } from './keys.js';
import { APP_LIMITS, DEFAULT_AUTH_METHODS, type App, type AppKeyInfo, type AuthMethod, type CreateAppInput, type SecretInfo } from './model.js';
import { readApp, toApp } from './rows.js';
import { applyLimits, limitsToColumn, NO_LIMITS, type LimitsInput } from '../limits/model.js';
import { AppSecrets, applySealing, type NewSecret } from './secrets.js';
import { validateAudiences, validateAuthMethods, validateClientId, validateJwks, validateLifetime, validateName, validateScopes, validateTokenFormat } from './validation.js';

export type { ClientRecord } from './clients.js';
export type { NewSecret } from './secrets.js';

/**
 * Work that must happen with an app's disabling: `inTransaction` commits or fails with it
 * (revoking its tokens), `afterCommit` tells caches.
 */
export interface DisableHook {
  inTransaction(trx: Db, app: App, now: number): Promise<void>;
  afterCommit(app: App): void;
}

export interface AppServiceOptions {
  db: Db;
  keyring: MasterKeyring;
  changes: ChangeFeed;
  now: () => number;
  audit: AuditLog;
  /**
   * Revokes a disabled app's tokens. Required: an AppService built without it would disable
   * apps whose tokens keep working until they expire.
   */
  onDisable: DisableHook;
}

/**
 * The apps of each tenant: create, read, edit and disable them (this file), their client
 * secrets (secrets.ts) and the in-memory records the token endpoint authenticates against
 * (clients.ts). One object for every entry point (admin API, CLI, console).
 */
export class AppService {
  private readonly clients: ClientRecords;
  private readonly secrets: AppSecrets;
  private readonly keys: AppKeys;

  constructor(private readonly deps: AppServiceOptions) {
    const { db, keyring, changes, now, audit } = deps;
    this.clients = new ClientRecords({ db, keyring, changes });
    this.secrets = new AppSecrets({ db, keyring, changes, now, audit });
    this.keys = new AppKeys({ db, changes, now, audit });
  }

  /** A new app with its first secret, or, for private_key_jwt, with the keys of `input.jwks` and no secret (null). */
  async create(tenantId: string, catalog: Scope[], input: CreateAppInput, context: AuditContext = SYSTEM): Promise<{ app: App; secret: NewSecret | null }> {
    const name = validateName(input.name);
    const scopes = validateScopes(input.scopes ?? [], catalog);
    const audiences = validateAudiences(input.audiences ?? []);
    const tokenLifetime = validateLifetime(input.tokenLifetime ?? null);
    const tokenFormat = validateTokenFormat(input.tokenFormat ?? 'jwt');
    const authMethods = validateAuthMethods(input.authMethods ?? DEFAULT_AUTH_METHODS);
    const chosenId = input.clientId === undefined ? null : validateClientId(input.clientId);
    const keys = await keysFor(authMethods, input.jwks, false);
    const { db, changes, audit } = this.deps;
    const now = this.deps.now();
    const row: AppRow = {
      id: newId('app'),
      tenant_id: tenantId,
      client_id: chosenId ?? randomLowerAlnum(APP_LIMITS.clientIdLength),
      name,
      scopes: JSON.stringify(scopes),
      audiences: JSON.stringify(audiences),
      token_lifetime: tokenLifetime,
      token_format: tokenFormat,
      auth_methods: JSON.stringify(authMethods),
      status: 'active',
      created_at: now,
      updated_at: now,
      require_dpop: input.requireDpop === true ? 1 : 0,
      limits: limitsToColumn(applyLimits(NO_LIMITS, input.limits ?? {}, now)),
    };
    const app = toApp(row);
    const secret = await db.transaction().execute(async (trx) => {
      await trx.insertInto('apps').values(row).execute();
      // A private_key_jwt app never holds a shared secret.
      const created = keys === null ? await this.secrets.insert(trx, app, null) : null;
      await this.keys.insert(trx, app, keys ?? [], now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: app.clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.created', target: app.clientId, detail: { name, scopes, ...(created ? { secret_id: created.secretId } : { auth_methods: authMethods, kids: keys!.map((k) => k.kid) }), ...(app.requireDpop ? { require_dpop: true } : {}), ...(app.limits === NO_LIMITS ? {} : { limits: app.limits }) } });
      return created;
    }).catch(async (error: unknown) => {
      // A chosen client_id may be taken (in any tenant: client ids are unique per installation).
      if (chosenId !== null && (await db.selectFrom('apps').select('id').where('client_id', '=', chosenId).executeTakeFirst())) throw new Conflict(`client_id ${chosenId} is taken`);
      throw error;
    });
    changes.emit({ tenantId, entity: 'app', entityId: app.clientId });
    return { app, secret };
  }

  async list(tenantId: string): Promise<App[]> {
    const rows = await this.deps.db.selectFrom('apps').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
    return rows.map(toApp);
  }

  get(tenantId: string, clientId: string): Promise<App> {
    return readApp(this.deps.db, tenantId, clientId);
  }

  /** Disables the app and, in the same transaction, revokes every token it holds (onDisable). */
  async disable(tenantId: string, clientId: string, context: AuditContext = SYSTEM): Promise<App> {
    const { db, changes, audit, onDisable } = this.deps;
    const app = await this.get(tenantId, clientId);
    const now = this.deps.now();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('apps').set({ status: 'disabled', updated_at: now }).where('id', '=', app.id).execute();
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await onDisable.inTransaction(trx, app, now);
      // The audit entry and its webhook event commit with the change (audit.recordIn).
      if (app.status !== 'disabled') await audit.recordIn(trx, context, { tenantId, action: 'app.disabled', target: clientId });
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    onDisable.afterCommit(app);
    return { ...app, status: 'disabled', updatedAt: now };
  }

  /**
   * Changes which client authentication methods an app allows. signed_request needs the secret
   * itself, and only secrets added while the app allows it have a recoverable (sealed) copy:
   * - enabling it leaves the existing secrets working for Basic and post but never for signed
   *   requests; `newSecretRequired` then tells the caller to add a secret (addSecret seals it);
   * - disabling it erases every sealed copy, so the database again holds hashes only.
   */
  async setAuthMethods(tenantId: string, clientId: string, methods: string[], context: AuditContext = SYSTEM, jwks?: unknown): Promise<{ app: App; newSecretRequired: boolean }> {
    const { db, changes, audit } = this.deps;
    const app = await this.get(tenantId, clientId);
    const authMethods = validateAuthMethods(methods);
    const keys = await keysFor(authMethods, jwks, true);
    const now = this.deps.now();
    const newSecretRequired = await db.transaction().execute(async (trx) => {
      await trx.updateTable('apps').set({ auth_methods: JSON.stringify(authMethods), updated_at: now }).where('id', '=', app.id).execute();
      const required = await this.applyKeyRules(trx, app, authMethods, keys, now) || await applySealing(trx, app.id, authMethods, now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.updated', target: clientId, detail: { auth_methods: authMethods } });
      return required;
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return { app: { ...app, authMethods, updatedAt: now }, newSecretRequired };
  }

  /**
   * Admin edits: name, token lifetime (null: the tenant default), audiences, scopes, token format
   * (config as code) and auth methods (sealed copies managed as in setAuthMethods), in one transaction and one `app.updated`
   * entry (a rename records the old name too). Names need not be unique: the client_id tells two
   * apps of the same name apart (docs/admin.md). Caches follow through the change log.
   */
  async update(
    tenantId: string,
    catalog: Scope[],
    clientId: string,
    patch: { name?: string; tokenLifetime?: number | null; audiences?: string[]; scopes?: string[]; authMethods?: string[]; tokenFormat?: string; jwks?: unknown; requireDpop?: boolean; limits?: LimitsInput },
    context: AuditContext = SYSTEM,
  ): Promise<{ app: App; newSecretRequired: boolean }> {
    const { db, changes, audit } = this.deps;
    const app = await this.get(tenantId, clientId);
    const next = {
      name: patch.name === undefined ? app.name : validateName(patch.name),
      tokenLifetime: patch.tokenLifetime === undefined ? app.tokenLifetime : validateLifetime(patch.tokenLifetime),
      audiences: patch.audiences === undefined ? app.audiences : validateAudiences(patch.audiences),
      scopes: patch.scopes === undefined ? app.scopes : validateScopes(patch.scopes, catalog),
      authMethods: patch.authMethods === undefined ? app.authMethods : validateAuthMethods(patch.authMethods),
      tokenFormat: patch.tokenFormat === undefined ? app.tokenFormat : validateTokenFormat(patch.tokenFormat),
      requireDpop: patch.requireDpop ?? app.requireDpop,
    };
    const keys = patch.authMethods === undefined && patch.jwks === undefined ? null : await keysFor(next.authMethods, patch.jwks, true);
    const now = this.deps.now();
    const limits = patch.limits === undefined ? app.limits : applyLimits(app.limits, patch.limits, now);
    const renamed = next.name === app.name ? {} : { name: next.name, previous_name: app.name };
    const detail = { ...renamed, token_lifetime: next.tokenLifetime, audiences: next.audiences, scopes: next.scopes, ...(patch.authMethods === undefined ? {} : { auth_methods: next.authMethods }), ...(patch.tokenFormat === undefined ? {} : { token_format: next.tokenFormat }), ...(keys ? { kids: keys.map((k) => k.kid) } : {}), ...(patch.requireDpop === undefined ? {} : { require_dpop: next.requireDpop }), ...(patch.limits === undefined ? {} : { limits }) };
    const newSecretRequired = await db.transaction().execute(async (trx) => {
      // Only the columns asked for: concurrent edits of different fields must not undo each other.
      await trx.updateTable('apps')
        .set({
          ...(patch.name === undefined ? {} : { name: next.name }),
          ...(patch.tokenLifetime === undefined ? {} : { token_lifetime: next.tokenLifetime }),
          ...(patch.audiences === undefined ? {} : { audiences: JSON.stringify(next.audiences) }),
          ...(patch.scopes === undefined ? {} : { scopes: JSON.stringify(next.scopes) }),
          ...(patch.authMethods === undefined ? {} : { auth_methods: JSON.stringify(next.authMethods) }),
          ...(patch.tokenFormat === undefined ? {} : { token_format: next.tokenFormat }),
          ...(patch.requireDpop === undefined ? {} : { require_dpop: next.requireDpop ? 1 : 0 }),
          ...(patch.limits === undefined ? {} : { limits: limitsToColumn(limits) }),
          updated_at: now,
        })
        .where('id', '=', app.id)
        .execute();
      const required = patch.authMethods === undefined && patch.jwks === undefined ? false
        : await this.applyKeyRules(trx, app, next.authMethods, keys, now) || await applySealing(trx, app.id, next.authMethods, now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.updated', target: clientId, detail });
      return required;
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return { app: { ...app, ...next, limits, updatedAt: now }, newSecretRequired };
  }

  // Secrets (secrets.ts): add at most five active, regenerate, list, revoke.

  addSecret(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext = SYSTEM): Promise<NewSecret> {
    return this.secrets.add(tenantId, clientId, expiresInSeconds, context);
  }

  /** See AppSecrets.regenerate: one new secret, every other one revoked, atomically. */
  regenerateSecret(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext = SYSTEM): Promise<{ secret: NewSecret; revoked: string[] }> {
    return this.secrets.regenerate(tenantId, clientId, expiresInSeconds, context);
  }

  listSecrets(tenantId: string, clientId: string): Promise<SecretInfo[]> {
    return this.secrets.list(tenantId, clientId);
  }

  revokeSecret(tenantId: string, clientId: string, secretId: string, context: AuditContext = SYSTEM): Promise<SecretInfo> {
    return this.secrets.revoke(tenantId, clientId, secretId, context);
  }

  /** See AppSecrets.revokeLeaked: a leaked secret revoked like `revokeSecret` when it is active. */
  revokeLeakedSecret(secret: string, context: AuditContext, alsoIn?: InRevocation): Promise<{ tenantId: string; id: string } | null> {
    return this.secrets.revokeLeaked(secret, context, alsoIn);
  }

  /** Notes that a secret authenticated a client (last_used_at, written in batches by flushLastUsed). */
  recordSecretUse(secretId: string): void {
    this.secrets.recordUse(secretId);
  }

  /** Writes batched last-used times; called on a timer, never on the request path. */
  flushLastUsed(): Promise<void> {
    return this.secrets.flushLastUsed();
  }

  /**
   * Inside an auth-method change: a private_key_jwt app gets `keys` (when a JWKS was sent; it must
   * then have at least one) and loses every secret; an app leaving private_key_jwt loses its keys.
   * True when the app now uses secrets but has no active one (the caller must add one).
   */
  private async applyKeyRules(trx: Db, app: App, authMethods: AuthMethod[], keys: Awaited<ReturnType<typeof keysFor>>, now: number): Promise<boolean> {
    if (authMethods.includes('private_key_jwt')) {
      if (keys !== null) await this.keys.replace(trx, app, keys, now);
      else if (!(await trx.selectFrom('app_keys').select('id').where('app_id', '=', app.id).executeTakeFirst())) {
        throw new InvalidRequest('private_key_jwt needs a JWKS of the app\'s public keys (jwks)');
      }
      await trx.updateTable('app_secrets').set({ revoked_at: now }).where('app_id', '=', app.id).where('revoked_at', 'is', null).execute();
      return false;
    }
    if (!app.authMethods.includes('private_key_jwt')) return false;
    await trx.deleteFrom('app_keys').where('app_id', '=', app.id).execute();
    return true;
  }

  // Public keys (keys.ts) of private_key_jwt apps: list, add, remove.

  listKeys(tenantId: string, clientId: string): Promise<AppKeyInfo[]> {
    return this.keys.list(tenantId, clientId);
  }

  /** A private_key_jwt app's public JWKs in their stored form, by kid (config as code exports them). */
  publicJwks(tenantId: string, clientId: string): Promise<JWK[]> {
    return this.keys.publicJwks(tenantId, clientId);
  }

  /** Adds the keys of a JWKS (rotation: add the new key, then remove the old); the app's keys after. */
  addKeys(tenantId: string, clientId: string, jwks: unknown, context: AuditContext = SYSTEM): Promise<AppKeyInfo[]> {
    return this.keys.add(tenantId, clientId, jwks, context);
  }

  /** Removes key `kid` (never the last one of a private_key_jwt app); the app's keys after. */
  removeKey(tenantId: string, clientId: string, kid: string, context: AuditContext = SYSTEM): Promise<AppKeyInfo[]> {
    return this.keys.remove(tenantId, clientId, kid, context);
  }

  // The token path (clients.ts): records from memory.

  /** The app and its secret hashes by client_id, from memory after the first read. */
  findClient(clientId: string): Promise<ClientRecord | null> {
    return this.clients.find(clientId);
  }

  /** The plaintext of a secret's sealed copy, for HMAC-signed requests (oauth/secret-matching.ts). */
  openSealedSecret(sealed: string, secretId: string): string {
    return this.clients.openSealedSecret(sealed, secretId);
  }

  /** Hits and misses of the client record cache (/metrics). */
  get cacheStats(): CacheStats {
    return this.clients.cacheStats;
  }
}

/**
 * The validated keys of `jwks` for an app with `authMethods`: null when it sent none (for a new
 * private_key_jwt app, `optional` false, that is an error); a JWKS is refused for a secret app.
 */
async function keysFor(authMethods: AuthMethod[], jwks: unknown, optional: boolean): Promise<Awaited<ReturnType<typeof validateJwks>> | null> {
  if (!authMethods.includes('private_key_jwt')) {
    if (jwks !== undefined) throw new InvalidRequest('jwks is only for apps whose auth method is private_key_jwt');
    return null;
  }
  if (jwks === undefined) {
    if (optional) return null;
    throw new InvalidRequest('private_key_jwt needs a JWKS of the app\'s public keys (jwks)');
  }
  return validateJwks(jwks);
}
