import { SYSTEM, type AuditContext, type AuditLog } from '../audit/service.js';
import { CacheStats } from '../util/cache-stats.js';
import { sha256 } from '../crypto/hash.js';
import { newId, randomLowerAlnum } from '../crypto/random.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import { generateToken, tokenHint, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import { LastUsedTimes } from '../store/last-used.js';
import type { AppRow, AppSecretRow } from '../store/schema.js';
import type { Scope } from '../tenants/model.js';
import { parseStringList } from '../util/json.js';
import {
  APP_LIMITS, AUTH_METHODS, DEFAULT_AUTH_METHODS, TOKEN_FORMATS,
  type App, type AuthMethod, type CreateAppInput, type SecretInfo, type SecretStatus, type TokenFormat,
} from './model.js';

function toApp(row: AppRow): App {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    clientId: row.client_id,
    name: row.name,
    scopes: parseStringList(row.scopes),
    audiences: parseStringList(row.audiences),
    tokenLifetime: row.token_lifetime,
    tokenFormat: row.token_format as TokenFormat,
    authMethods: parseStringList(row.auth_methods) as AuthMethod[],
    status: row.status as App['status'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function secretStatus(row: Pick<AppSecretRow, 'revoked_at' | 'expires_at'>, now: number): SecretStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && Number(row.expires_at) <= now) return 'expired';
  return 'active';
}

function toSecretInfo(row: AppSecretRow, now: number): SecretInfo {
  return {
    id: row.id,
    hint: row.hint,
    status: secretStatus(row, now),
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** An app with the hashes of its secrets: what client authentication needs, kept in memory. */
export interface ClientRecord {
  app: App;
  secrets: {
    id: string;
    hash: string;
    expiresAt: number | null;
    revokedAt: number | null;
    /** The AES-256-GCM copy (still sealed) when the app allows signed requests; null otherwise. */
    sealed?: string | null;
  }[];
}

export interface NewSecret {
  secretId: string;
  /** The plaintext secret: returned once, never stored. */
  clientSecret: string;
  expiresAt: number | null;
}

/**
 * Work that must happen with an app's disabling: `inTransaction` commits or fails with it
 * (revoking its tokens), `afterCommit` tells caches.
 */
export interface DisableHook {
  inTransaction(trx: Db, app: App, now: number): Promise<void>;
  afterCommit(app: App): void;
}

export class AppService {
  private readonly clients = new Map<string, Promise<ClientRecord | null>>();
  readonly cacheStats = new CacheStats();
  private readonly lastUsed: LastUsedTimes;
  private readonly disableHooks: DisableHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly keyring: MasterKeyring,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
    private readonly audit?: AuditLog,
  ) {
    this.lastUsed = new LastUsedTimes(db, 'app_secrets');
    changes.on('app', (change) => this.clients.delete(change.entityId));
    changes.onReset(() => this.clients.clear());
  }

  onDisable(hook: DisableHook): void {
    this.disableHooks.push(hook);
  }

  async create(tenantId: string, catalog: Scope[], input: CreateAppInput, context: AuditContext = SYSTEM): Promise<{ app: App; secret: NewSecret }> {
    const name = input.name?.trim() ?? '';
    if (name.length < 1 || name.length > 200) throw new InvalidRequest('name must be 1-200 characters');
    const scopes = this.validateScopes(input.scopes ?? [], catalog);
    const audiences = validateAudiences(input.audiences ?? []);
    const tokenLifetime = validateLifetime(input.tokenLifetime ?? null);
    const tokenFormat = input.tokenFormat ?? 'jwt';
    if (!(TOKEN_FORMATS as readonly string[]).includes(tokenFormat)) {
      throw new InvalidRequest(`token format must be one of: ${TOKEN_FORMATS.join(', ')}`);
    }
    const authMethods = validateAuthMethods(input.authMethods ?? DEFAULT_AUTH_METHODS);
    const now = this.now();
    const row: AppRow = {
      id: newId('app'),
      tenant_id: tenantId,
      client_id: randomLowerAlnum(APP_LIMITS.clientIdLength),
      name,
      scopes: JSON.stringify(scopes),
      audiences: JSON.stringify(audiences),
      token_lifetime: tokenLifetime,
      token_format: tokenFormat,
      auth_methods: JSON.stringify(authMethods),
      status: 'active',
      created_at: now,
      updated_at: now,
    };
    const app = toApp(row);
    const secret = await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('apps').values(row).execute();
      const created = await this.insertSecret(trx, app, null);
      await recordChange(trx, { tenantId, entity: 'app', entityId: app.clientId }, now);
      return created;
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: app.clientId });
    this.audit?.record(context, { tenantId, action: 'app.created', target: app.clientId, detail: { name, scopes, secret_id: secret.secretId } });
    return { app, secret };
  }

  async list(tenantId: string): Promise<App[]> {
    const rows = await this.db.selectFrom('apps').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
    return rows.map(toApp);
  }

  async get(tenantId: string, clientId: string): Promise<App> {
    const row = await this.db
      .selectFrom('apps')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) throw new NotFound(`app ${clientId} does not exist in this tenant`);
    return toApp(row);
  }

  async disable(tenantId: string, clientId: string, context: AuditContext = SYSTEM): Promise<App> {
    const app = await this.get(tenantId, clientId);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('apps').set({ status: 'disabled', updated_at: now }).where('id', '=', app.id).execute();
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      for (const hook of this.disableHooks) await hook.inTransaction(trx, app, now);
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
    for (const hook of this.disableHooks) hook.afterCommit(app);
    if (app.status !== 'disabled') this.audit?.record(context, { tenantId, action: 'app.disabled', target: clientId });
    return { ...app, status: 'disabled', updatedAt: now };
  }

  async addSecret(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext = SYSTEM): Promise<NewSecret> {
    const app = await this.get(tenantId, clientId);
    const now = this.now();
    const secret = await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('app_secrets').select(['revoked_at', 'expires_at']).where('app_id', '=', app.id).execute();
      if (rows.filter((r) => secretStatus(r, now) === 'active').length >= APP_LIMITS.maxActiveSecrets) {
        throw new Conflict(`an app holds at most ${APP_LIMITS.maxActiveSecrets} active secrets: revoke one first`);
      }
      const created = await this.insertSecret(trx, app, expiresInSeconds === null ? null : now + expiresInSeconds * 1000);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      return created;
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
    this.audit?.record(context, { tenantId, action: 'app.secret_added', target: clientId, detail: { secret_id: secret.secretId, expires_at: secret.expiresAt } });
    return secret;
  }

  /**
   * "Regenerate": a new secret and every other secret revoked, in one transaction, so the app
   * is never left without a working secret nor with the old ones still valid.
   */
  async regenerateSecret(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext = SYSTEM): Promise<{ secret: NewSecret; revoked: string[] }> {
    const app = await this.get(tenantId, clientId);
    const now = this.now();
    const result = await this.db.transaction().execute(async (trx) => {
      const old = await trx.selectFrom('app_secrets').select('id').where('app_id', '=', app.id).where('revoked_at', 'is', null).execute();
      if (old.length > 0) await trx.updateTable('app_secrets').set({ revoked_at: now }).where('id', 'in', old.map((r) => r.id)).execute();
      const created = await this.insertSecret(trx, app, expiresInSeconds === null ? null : now + expiresInSeconds * 1000);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      return { secret: created, revoked: old.map((r) => r.id) };
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
    this.audit?.record(context, { tenantId, action: 'app.secret_added', target: clientId, detail: { secret_id: result.secret.secretId, expires_at: result.secret.expiresAt, regenerated: true } });
    for (const id of result.revoked) this.audit?.record(context, { tenantId, action: 'app.secret_revoked', target: clientId, detail: { secret_id: id } });
    return result;
  }

  async listSecrets(tenantId: string, clientId: string): Promise<SecretInfo[]> {
    const app = await this.get(tenantId, clientId);
    await this.flushLastUsed();
    const rows = await this.db.selectFrom('app_secrets').selectAll().where('app_id', '=', app.id).orderBy('created_at').execute();
    const now = this.now();
    return rows.map((row) => toSecretInfo(row, now));
  }

  async revokeSecret(tenantId: string, clientId: string, secretId: string, context: AuditContext = SYSTEM): Promise<SecretInfo> {
    const app = await this.get(tenantId, clientId);
    const now = this.now();
    const row = await this.db.selectFrom('app_secrets').selectAll().where('app_id', '=', app.id).where('id', '=', secretId).executeTakeFirst();
    if (!row) throw new NotFound(`secret ${secretId} does not exist on app ${clientId}`);
    if (row.revoked_at === null) {
      await this.db.transaction().execute(async (trx) => {
        await trx.updateTable('app_secrets').set({ revoked_at: now }).where('id', '=', secretId).execute();
        await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      });
      this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
      this.audit?.record(context, { tenantId, action: 'app.secret_revoked', target: clientId, detail: { secret_id: secretId } });
    }
    return toSecretInfo({ ...row, revoked_at: row.revoked_at ?? now }, now);
  }

  /** The app and its secret hashes by client_id, from memory after the first read. */
  findClient(clientId: string): Promise<ClientRecord | null> {
    let record = this.clients.get(clientId);
    this.cacheStats.count(record !== undefined);
    if (!record) {
      record = this.loadClient(clientId);
      // Bounded: a flood of made-up client ids must not grow memory without end.
      if (this.clients.size >= 50_000) this.clients.clear();
      this.clients.set(clientId, record);
      record.catch(() => this.clients.delete(clientId));
    }
    return record;
  }

  /** Notes that a secret authenticated a client (last_used_at, written in batches by flushLastUsed). */
  recordSecretUse(secretId: string): void {
    this.lastUsed.record(secretId, this.now());
  }

  /** The plaintext of a secret's sealed copy, for HMAC-signed requests (oauth/secret-matching.ts). */
  openSealedSecret(sealed: string, secretId: string): string {
    return this.keyring.open(sealed, `client_secret:${secretId}`);
  }

  /**
   * Changes which client authentication methods an app allows. signed_request needs the secret
   * itself, and only secrets added while the app allows it have a recoverable (sealed) copy:
   * - enabling it leaves the existing secrets working for Basic and post but never for signed
   *   requests; `newSecretRequired` then tells the caller to add a secret (addSecret seals it);
   * - disabling it erases every sealed copy, so the database again holds hashes only.
   */
  async setAuthMethods(tenantId: string, clientId: string, methods: string[], context: AuditContext = SYSTEM): Promise<{ app: App; newSecretRequired: boolean }> {
    const app = await this.get(tenantId, clientId);
    const authMethods = validateAuthMethods(methods);
    const now = this.now();
    const newSecretRequired = await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('apps').set({ auth_methods: JSON.stringify(authMethods), updated_at: now }).where('id', '=', app.id).execute();
      const required = await applySealing(trx, app.id, authMethods, now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      return required;
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
    this.audit?.record(context, { tenantId, action: 'app.updated', target: clientId, detail: { auth_methods: authMethods } });
    return { app: { ...app, authMethods, updatedAt: now }, newSecretRequired };
  }

  /**
   * Admin edits: token lifetime (null: the tenant default), audiences, scopes and auth methods
   * (sealed copies managed as in setAuthMethods), in one transaction and one `app.updated` entry.
   * Caches follow through the change log.
   */
  async update(
    tenantId: string,
    catalog: Scope[],
    clientId: string,
    patch: { tokenLifetime?: number | null; audiences?: string[]; scopes?: string[]; authMethods?: string[] },
    context: AuditContext = SYSTEM,
  ): Promise<{ app: App; newSecretRequired: boolean }> {
    const app = await this.get(tenantId, clientId);
    const next = {
      tokenLifetime: patch.tokenLifetime === undefined ? app.tokenLifetime : validateLifetime(patch.tokenLifetime),
      audiences: patch.audiences === undefined ? app.audiences : validateAudiences(patch.audiences),
      scopes: patch.scopes === undefined ? app.scopes : this.validateScopes(patch.scopes, catalog),
      authMethods: patch.authMethods === undefined ? app.authMethods : validateAuthMethods(patch.authMethods),
    };
    const now = this.now();
    const newSecretRequired = await this.db.transaction().execute(async (trx) => {
      // Only the columns asked for: concurrent edits of different fields must not undo each other.
      await trx.updateTable('apps')
        .set({
          ...(patch.tokenLifetime === undefined ? {} : { token_lifetime: next.tokenLifetime }),
          ...(patch.audiences === undefined ? {} : { audiences: JSON.stringify(next.audiences) }),
          ...(patch.scopes === undefined ? {} : { scopes: JSON.stringify(next.scopes) }),
          ...(patch.authMethods === undefined ? {} : { auth_methods: JSON.stringify(next.authMethods) }),
          updated_at: now,
        })
        .where('id', '=', app.id)
        .execute();
      const required = patch.authMethods === undefined ? false : await applySealing(trx, app.id, next.authMethods, now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      return required;
    });
    this.changes.emit({ tenantId, entity: 'app', entityId: clientId });
    const detail = { token_lifetime: next.tokenLifetime, audiences: next.audiences, scopes: next.scopes, ...(patch.authMethods === undefined ? {} : { auth_methods: next.authMethods }) };
    this.audit?.record(context, { tenantId, action: 'app.updated', target: clientId, detail });
    return { app: { ...app, ...next, updatedAt: now }, newSecretRequired };
  }

  /** Writes batched last-used times; called on a timer, never on the request path. */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }

  private async loadClient(clientId: string): Promise<ClientRecord | null> {
    const row = await this.db.selectFrom('apps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    if (!row) return null;
    const secrets = await this.db
      .selectFrom('app_secrets')
      .select(['id', 'secret_hash', 'expires_at', 'revoked_at', 'sealed_secret'])
      .where('app_id', '=', row.id)
      .where('revoked_at', 'is', null)
      .execute();
    return {
      app: toApp(row),
      secrets: secrets.map((s) => ({
        id: s.id,
        hash: s.secret_hash,
        expiresAt: s.expires_at === null ? null : Number(s.expires_at),
        revokedAt: s.revoked_at === null ? null : Number(s.revoked_at),
        sealed: s.sealed_secret,
      })),
    };
  }

  private async insertSecret(trx: Db, app: App, expiresAt: number | null): Promise<NewSecret> {
    const secret = generateToken(TOKEN_PREFIXES.clientSecret);
    const id = newId('sec');
    await trx
      .insertInto('app_secrets')
      .values({
        id,
        app_id: app.id,
        tenant_id: app.tenantId,
        secret_hash: sha256(secret),
        // HMAC-signed requests need the secret itself; every other app keeps only the hash.
        sealed_secret: app.authMethods.includes('signed_request') ? this.keyring.seal(secret, `client_secret:${id}`) : null,
        hint: tokenHint(secret),
        created_at: this.now(),
        expires_at: expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    return { secretId: id, clientSecret: secret, expiresAt };
  }

  private validateScopes(requested: string[], catalog: Scope[]): string[] {
    const known = new Set(catalog.map((s) => s.name));
    const unknown = requested.filter((s) => !known.has(s));
    if (unknown.length > 0) throw new InvalidRequest(`unknown scope(s): ${unknown.join(', ')}; the catalog has ${[...known].join(', ')}`);
    return [...new Set(requested)];
  }
}

function validateAudiences(audiences: string[]): string[] {
  for (const audience of audiences) {
    if (!/^\S{1,512}$/.test(audience)) throw new InvalidRequest('each audience must be 1-512 characters without spaces');
  }
  return [...new Set(audiences)];
}

function validateLifetime(lifetime: number | null): number | null {
  if (lifetime === null) return null;
  if (!Number.isInteger(lifetime) || lifetime < APP_LIMITS.minTokenLifetime || lifetime > APP_LIMITS.maxTokenLifetime) {
    throw new InvalidRequest(`token lifetime must be a whole number of seconds from ${APP_LIMITS.minTokenLifetime} to ${APP_LIMITS.maxTokenLifetime}`);
  }
  return lifetime;
}

/**
 * Keeps sealed secret copies only while signed_request is allowed (see setAuthMethods). Returns
 * whether the app now allows signed requests but has no active secret with a sealed copy.
 */
async function applySealing(trx: Db, appId: string, authMethods: AuthMethod[], now: number): Promise<boolean> {
  if (!authMethods.includes('signed_request')) {
    await trx.updateTable('app_secrets').set({ sealed_secret: null }).where('app_id', '=', appId).execute();
    return false;
  }
  const rows = await trx.selectFrom('app_secrets').select(['revoked_at', 'expires_at', 'sealed_secret']).where('app_id', '=', appId).execute();
  return !rows.some((r) => r.sealed_secret !== null && secretStatus(r, now) === 'active');
}

function validateAuthMethods(methods: string[]): AuthMethod[] {
  const bad = methods.filter((m) => !(AUTH_METHODS as readonly string[]).includes(m));
  if (bad.length > 0 || methods.length === 0) {
    throw new InvalidRequest(`auth methods must be one or more of: ${AUTH_METHODS.join(', ')}`);
  }
  return [...new Set(methods)] as AuthMethod[];
}
