import { SYSTEM, type AuditContext, type AuditEvent, type AuditLog } from '../audit/service.js';
import { newId, randomLowerAlnum } from '../crypto/random.js';
import { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../crypto/algorithms.js';
import { CacheStats } from '../util/cache-stats.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import type { ChangeFeed } from '../store/change-log.js';
import { recordChange } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import { withDatabaseLock } from '../store/locks.js';
import type { TenantRow } from '../store/schema.js';
import type { KeyService } from '../keys/service.js';
import type { EndUserSettings } from '../users/model.js';
import { DEFAULT_TENANT_SETTINGS, SEEDED_SCOPES, SIGNED_REQUEST_SKEW_LIMITS, TENANT_SLUG_PATTERN, type Scope, type Tenant, type TenantSettings } from './model.js';

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    appId: row.app_id,
    settings: { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(row.settings) as Partial<TenantSettings>) },
    createdAt: Number(row.created_at),
  };
}

/**
 * Tenants and their scope catalogs, cached in memory (a tenant is read on every request). Every
 * change is audited here, with the caller's context, so the admin API and the CLI both are.
 */
export class TenantService {
  private readonly bySlug = new Map<string, Tenant | null>();
  readonly cacheStats = new CacheStats();
  private readonly scopeCache = new Map<string, Scope[]>();

  constructor(
    private readonly db: Db,
    private readonly keys: KeyService,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
    private readonly audit: AuditLog,
  ) {
    changes.on('tenant', () => this.bySlug.clear());
    changes.on('scope', (change) => this.scopeCache.delete(change.tenantId));
    changes.onReset(() => {
      this.bySlug.clear();
      this.scopeCache.clear();
    });
  }

  /** `signingAlg`: the algorithm of the tenant's keys (default ES256; RS256 for verifiers that know no other). */
  async create(slug: string, name = slug, context: AuditContext = SYSTEM, { signingAlg = DEFAULT_TENANT_SETTINGS.signingAlg }: { signingAlg?: string } = {}): Promise<Tenant> {
    if (!TENANT_SLUG_PATTERN.test(slug)) {
      throw new InvalidRequest('tenant slug must be 1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit');
    }
    const alg = signingAlgorithm(signingAlg);
    const now = this.now();
    const row: TenantRow = {
      id: newId('tn'),
      slug,
      name,
      app_id: `app_${randomLowerAlnum(20)}`,
      settings: JSON.stringify({ ...DEFAULT_TENANT_SETTINGS, signingAlg: alg }),
      created_at: now,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(row).execute();
        await trx
          .insertInto('scopes')
          .values(SEEDED_SCOPES.map((s) => ({ tenant_id: row.id, name: s.name, description: s.description, is_default: s.isDefault ? 1 : 0, created_at: now })))
          .execute();
        await recordChange(trx, { tenantId: row.id, entity: 'tenant', entityId: slug }, now);
        // With the tenant: its audit entry exists exactly when it does (a new tenant has no webhook yet).
        await this.audit.recordIn(trx, context, { tenantId: row.id, action: 'tenant.created', target: slug, detail: { signing_alg: alg } });
      });
    } catch (error) {
      // Read past the cache: it may remember this slug as absent from just before the insert
      // (another node created it in between), which would turn the race into a raw 500.
      if (await this.db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst()) {
        this.bySlug.delete(slug);
        throw new Conflict(`tenant ${slug} already exists`);
      }
      throw error;
    }
    this.changes.emit({ tenantId: row.id, entity: 'tenant', entityId: slug });
    await this.keys.ensureCurrentKey(row.id, alg);
    return toTenant(row);
  }

  /**
   * Creates tenant `default` and its keys unless they exist. Several nodes starting at once on an
   * empty database take turns under one database lock, so exactly one creates and the others find
   * the tenant and its key set (store/locks.ts; the Conflict path below covers the CLI on SQLite).
   */
  ensureDefault(): Promise<{ tenant: Tenant; created: boolean }> {
    return withDatabaseLock(this.db, 'keymint:bootstrap', () => this.ensureDefaultNow());
  }

  private async ensureDefaultNow(): Promise<{ tenant: Tenant; created: boolean }> {
    this.bySlug.delete('default');
    const existing = await this.findBySlug('default');
    if (existing) {
      await this.keys.ensureCurrentKey(existing.id, existing.settings.signingAlg);
      return { tenant: existing, created: false };
    }
    try {
      return { tenant: await this.create('default', 'Default'), created: true };
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      return { tenant: await this.get('default'), created: false };
    }
  }

  async findBySlug(slug: string): Promise<Tenant | null> {
    const cached = this.bySlug.get(slug);
    this.cacheStats.count(cached !== undefined);
    if (cached !== undefined) return cached;
    const row = await this.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    const tenant = row ? toTenant(row) : null;
    // Unknown slugs are remembered too (bounded) so junk paths cannot turn into database reads.
    if (tenant || this.bySlug.size < 10_000) this.bySlug.set(slug, tenant);
    return tenant;
  }

  async get(slug: string): Promise<Tenant> {
    const tenant = await this.findBySlug(slug);
    if (!tenant) throw new NotFound(`tenant ${slug} does not exist`);
    return tenant;
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('slug').execute();
    return rows.map(toTenant);
  }

  async scopes(tenantId: string): Promise<Scope[]> {
    const cached = this.scopeCache.get(tenantId);
    if (cached) return cached;
    const rows = await this.db.selectFrom('scopes').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();
    const scopes = rows.map((r) => ({ name: r.name, description: r.description, isDefault: r.is_default === 1 }));
    this.scopeCache.set(tenantId, scopes);
    return scopes;
  }

  /** Adds a scope to a tenant's catalog (admin API); 409 when the name exists. */
  async addScope(tenantId: string, scope: Scope, context: AuditContext = SYSTEM): Promise<Scope> {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(scope.name)) throw new InvalidRequest('a scope name is 1-64 letters, digits or _ . : -');
    if ((await this.scopes(tenantId)).some((s) => s.name === scope.name)) throw new Conflict(`scope ${scope.name} already exists`);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('scopes').values({ tenant_id: tenantId, name: scope.name, description: scope.description, is_default: scope.isDefault ? 1 : 0, created_at: now }).execute();
      await recordChange(trx, { tenantId, entity: 'scope', entityId: scope.name }, now);
      // The audit entry and its webhook event commit with the change.
      await this.audit.recordIn(trx, context, { tenantId, action: 'scope.added', target: scope.name, detail: { default: scope.isDefault } });
    });
    this.changes.emit({ tenantId, entity: 'scope', entityId: scope.name });
    return scope;
  }

  /** Changes a catalog scope's description and default flag (config as code); 404 when the name is not in the catalog. */
  async updateScope(tenantId: string, scope: Scope, context: AuditContext = SYSTEM): Promise<Scope> {
    if (!(await this.scopes(tenantId)).some((s) => s.name === scope.name)) throw new NotFound(`scope ${scope.name} does not exist`);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('scopes').set({ description: scope.description, is_default: scope.isDefault ? 1 : 0 }).where('tenant_id', '=', tenantId).where('name', '=', scope.name).execute();
      await recordChange(trx, { tenantId, entity: 'scope', entityId: scope.name }, now);
      await this.audit.recordIn(trx, context, { tenantId, action: 'scope.updated', target: scope.name, detail: { description: scope.description, default: scope.isDefault } });
    });
    this.changes.emit({ tenantId, entity: 'scope', entityId: scope.name });
    return scope;
  }

  /** Changes a tenant's display name (config as code); the slug, and so the issuer, never changes. */
  async rename(slug: string, name: string, context: AuditContext = SYSTEM): Promise<Tenant> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200) throw new InvalidRequest('a tenant name is 1-200 characters');
    const tenant = await this.get(slug);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('tenants').set({ name: trimmed }).where('id', '=', tenant.id).execute();
      await recordChange(trx, { tenantId: tenant.id, entity: 'tenant', entityId: slug }, now);
      await this.audit.recordIn(trx, context, { tenantId: tenant.id, action: 'tenant.renamed', target: slug, detail: { name: trimmed, previous_name: tenant.name } });
    });
    this.changes.emit({ tenantId: tenant.id, entity: 'tenant', entityId: slug });
    return { ...tenant, name: trimmed };
  }

  /**
   * Changes a tenant's settings; only the fields given. Every node drops its cached tenant
   * through the change log, so the new values apply everywhere within a poll. A new `signingAlg`
   * stages a key of that algorithm, published ahead and then signing (KeyService.adoptAlgorithm):
   * tokens already issued keep verifying with the old key until they expire.
   */
  async updateSettings(slug: string, patch: Partial<Pick<TenantSettings, 'signedRequestMaxSkew' | 'defaultTokenLifetime'>> & { signingAlg?: string }, context: AuditContext = SYSTEM): Promise<Tenant> {
    const { signingAlg: requested, ...rest } = patch;
    const signingAlg = requested === undefined ? undefined : signingAlgorithm(requested);
    if (patch.defaultTokenLifetime !== undefined) {
      const lifetime = patch.defaultTokenLifetime;
      if (!Number.isInteger(lifetime) || lifetime < 60 || lifetime > 86_400) throw new InvalidRequest('the default token lifetime must be a whole number of seconds from 60 to 86400');
    }
    if (patch.signedRequestMaxSkew !== undefined) {
      const { min, max } = SIGNED_REQUEST_SKEW_LIMITS;
      const skew = patch.signedRequestMaxSkew;
      if (!Number.isInteger(skew) || skew < min || skew > max) {
        throw new InvalidRequest(`the signed-request timestamp window must be a whole number of seconds from ${min} to ${max}`);
      }
    }
    // Named as in the admin API's settings body, so the entry reads the same from every entry point.
    const detail = {
      ...(patch.defaultTokenLifetime === undefined ? {} : { default_token_lifetime: patch.defaultTokenLifetime }),
      ...(patch.signedRequestMaxSkew === undefined ? {} : { signed_request_window: patch.signedRequestMaxSkew }),
      ...(signingAlg === undefined ? {} : { signing_alg: signingAlg }),
    };
    const updated = await this.writeSettings(slug, { ...rest, ...(signingAlg === undefined ? {} : { signingAlg }) }, context, { action: 'tenant.settings_updated', target: slug, detail });
    if (signingAlg !== undefined) await this.keys.adoptAlgorithm(updated.id, signingAlg, context);
    return updated;
  }

  /**
   * Stores end-user settings already validated by UserService.updateSettings, with their
   * `user.settings_updated` entry (one change, one entry; `detail`: the settings as stored).
   */
  storeEndUserSettings(slug: string, endUsers: EndUserSettings, context: AuditContext): Promise<Tenant> {
    return this.writeSettings(slug, { endUsers }, context, { action: 'user.settings_updated', detail: { ...endUsers } });
  }

  /**
   * The audit entry (and so its webhook event) is written in the settings' transaction: a
   * settings change and its event commit together or not at all.
   */
  private async writeSettings(slug: string, patch: Partial<TenantSettings>, context: AuditContext, entry: Omit<AuditEvent, 'tenantId'>): Promise<Tenant> {
    const tenant = await this.get(slug);
    const settings: TenantSettings = { ...tenant.settings, ...patch };
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('tenants').set({ settings: JSON.stringify(settings) }).where('id', '=', tenant.id).execute();
      await recordChange(trx, { tenantId: tenant.id, entity: 'tenant', entityId: slug }, now);
      await this.audit.recordIn(trx, context, { tenantId: tenant.id, ...entry });
    });
    this.changes.emit({ tenantId: tenant.id, entity: 'tenant', entityId: slug });
    return { ...tenant, settings };
  }
}

function signingAlgorithm(value: string): SigningAlgorithm {
  if (!isSigningAlgorithm(value)) throw new InvalidRequest(`the signing algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return value;
}
