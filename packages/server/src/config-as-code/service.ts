import { limitsInput } from '../admin/views.js';
import type { AppService, NewSecret } from '../apps/service.js';
import { SYSTEM, type AuditContext } from '../audit/service.js';
import { InvalidRequest } from '../errors.js';
import type { TenantService } from '../tenants/service.js';
import { endUserSettingsPatch } from '../users/model.js';
import type { UserService } from '../users/service.js';
import type { WebhookService } from '../webhooks/service.js';
import { readConfigDocument, tenantDeclaration } from './declare.js';
import { planChanges, type PlannedChange } from './plan.js';
import type { AppJwks, AppState, TenantState } from './schema.js';

export interface ConfigAsCodeOptions {
  tenants: TenantService;
  apps: AppService;
  users: Pick<UserService, 'updateSettings'>;
  webhooks: Pick<WebhookService, 'list' | 'create' | 'update' | 'delete'>;
}

export interface ApplyResult {
  /** How many changes the plan holds (made, unless dry run). */
  changes: number;
  plan: PlannedChange[];
  /** Whether the changes were made (false: --dry-run). */
  applied: boolean;
  /** The first secret of each app apply created: shown this once, stored only as a hash. */
  secrets: { tenant: string; client_id: string; secret: NewSecret }[];
  /** Apps whose new auth methods need a new secret (signed_request: `keymint app secret add`). */
  new_secret_required: string[];
  /** The secret of each webhook apply created (`whsec_…`): shown this once, stored sealed. */
  webhook_secrets: { tenant: string; id: string; url: string; secret: string }[];
}

/**
 * Configuration as code (issue 21 item 3): export a tenant's declarative state, and make the
 * database match a file. Every change goes through the service that owns the resource, so its
 * validation, change-log rows and audit entry (with the caller's context) are the same as from
 * the admin API or the CLI. The plan itself is pure (plan.ts).
 */
export class ConfigAsCode {
  constructor(private readonly deps: ConfigAsCodeOptions) {}

  /** The version-1 document of the given tenants (all when none), never a secret or hash. */
  async export(slugs?: string[]): Promise<{ version: 1; tenants: TenantState[] }> {
    const { tenants } = this.deps;
    const chosen = slugs ? await Promise.all(slugs.map((slug) => tenants.get(slug))) : await tenants.list();
    return { version: 1, tenants: await Promise.all(chosen.map((t) => this.tenantState(t.slug))) };
  }

  /**
   * Makes the tenants of `document` match it (see planChanges for what is and is not changed).
   * A malformed document or a refused difference throws InvalidRequest before anything is written;
   * a change a service refuses stops the run there (changes before it stay, each audited).
   */
  async apply(document: unknown, { dryRun = false, prune = false }: { dryRun?: boolean; prune?: boolean } = {}, context: AuditContext = SYSTEM): Promise<ApplyResult> {
    const desired = readConfigDocument(document);
    const current = new Map<string, TenantState>();
    for (const want of desired) {
      if (await this.deps.tenants.findBySlug(want.slug)) current.set(want.slug, await this.tenantState(want.slug));
    }
    const { changes, refusals } = planChanges(current, desired, { prune });
    if (refusals.length > 0) throw new InvalidRequest(`nothing applied: ${refusals.join('; ')}`);
    const result: ApplyResult = { changes: changes.length, plan: changes, applied: !dryRun, secrets: [], new_secret_required: [], webhook_secrets: [] };
    if (dryRun) return result;
    for (const change of changes) await this.make(change, result, context);
    return result;
  }

  private async tenantState(slug: string): Promise<TenantState> {
    const { tenants, apps } = this.deps;
    const tenant = await tenants.get(slug);
    const list = await apps.list(tenant.id);
    const keyApps = list.filter((app) => app.authMethods.includes('private_key_jwt'));
    const jwksOf = new Map(await Promise.all(keyApps.map(async (app) => [app.clientId, await apps.publicJwks(tenant.id, app.clientId)] as const)));
    return tenantDeclaration(tenant, await tenants.scopes(tenant.id), list, jwksOf, await this.deps.webhooks.list(tenant.id));
  }

  private async make(change: PlannedChange, result: ApplyResult, context: AuditContext): Promise<void> {
    const { tenants, users } = this.deps;
    if (change.action === 'create' && change.resource === 'tenant') {
      await tenants.create(change.target, change.value.name, context, { signingAlg: change.value.signing_alg });
      return;
    }
    const tenant = await tenants.get(change.tenant);
    const to = <T>(name: string): T | undefined => (change.action === 'update' && name in change.fields ? (change.fields[name]!.to as T) : undefined);
    switch (change.resource) {
      case 'tenant':
        await tenants.rename(tenant.slug, to<string>('name')!, context);
        return;
      case 'settings':
        await tenants.updateSettings(tenant.slug, {
          ...defined('defaultTokenLifetime', to<number>('default_token_lifetime')),
          ...defined('signedRequestMaxSkew', to<number>('signed_request_window')),
          ...defined('signingAlg', to<string>('signing_alg')),
        }, context);
        return;
      case 'end_users':
        await users.updateSettings(tenant.slug, endUserSettingsPatch(Object.fromEntries(Object.entries(change.action === 'update' ? change.fields : {}).map(([k, v]) => [k, v.to]))), context);
        return;
      case 'scope': {
        const scope = change.action === 'create' ? change.value : null;
        if (scope) await tenants.addScope(tenant.id, { name: scope.name, description: scope.description, isDefault: scope.default }, context);
        else {
          const existing = (await tenants.scopes(tenant.id)).find((s) => s.name === change.target)!;
          await tenants.updateScope(tenant.id, { name: change.target, description: to<string>('description') ?? existing.description, isDefault: to<boolean>('default') ?? existing.isDefault }, context);
        }
        return;
      }
      case 'app':
        return this.applyApp(change, tenant.id, tenant.slug, result, context);
      case 'webhook':
        return this.applyWebhook(change, tenant.id, tenant.slug, result, context);
    }
  }

  /** Creates, updates or disables one app; new fields of apps are applied here. */
  private async applyApp(change: PlannedChange & { resource: 'app' }, tenantId: string, slug: string, result: ApplyResult, context: AuditContext): Promise<void> {
    const { tenants, apps } = this.deps;
    if (change.action === 'disable') {
      await apps.disable(tenantId, change.target, context);
      return;
    }
    const catalog = await tenants.scopes(tenantId);
    if (change.action === 'create') {
      const app = change.value;
      const { secret } = await apps.create(tenantId, catalog, {
        clientId: app.client_id, name: app.name, scopes: app.scopes, audiences: app.audiences, tokenLifetime: app.token_lifetime, tokenFormat: app.token_format, authMethods: app.auth_methods,
        requireDpop: app.require_dpop,
        limits: limitsInput(app.limits),
        ...(app.jwks ? { jwks: app.jwks } : {}),
      }, context);
      if (secret) result.secrets.push({ tenant: slug, client_id: app.client_id, secret });
      if (app.status === 'disabled') await apps.disable(tenantId, app.client_id, context);
      return;
    }
    const to = (name: string) => change.fields[name]?.to;
    const patch = {
      ...defined('name', to('name') as string | undefined),
      ...defined('scopes', to('scopes') as string[] | undefined),
      ...defined('audiences', to('audiences') as string[] | undefined),
      ...('token_lifetime' in change.fields ? { tokenLifetime: to('token_lifetime') as number | null } : {}),
      ...defined('tokenFormat', to('token_format') as string | undefined),
      ...defined('authMethods', to('auth_methods') as string[] | undefined),
      ...defined('requireDpop', to('require_dpop') as boolean | undefined),
      ...('limits' in change.fields ? { limits: limitsInput(to('limits') as AppState['limits']) } : {}),
      // Keys replace the app's keys; null (the app leaves private_key_jwt) goes with its auth-method change.
      ...defined('jwks', (to('jwks') ?? undefined) as AppJwks | undefined),
    };
    const { newSecretRequired } = await apps.update(tenantId, catalog, change.target, patch, context);
    if (newSecretRequired) result.new_secret_required.push(`${slug}/${change.target}`);
  }

  /** Creates, updates or (prune) deletes one webhook through WebhookService: audited, URL checked. */
  private async applyWebhook(change: PlannedChange & { resource: 'webhook' }, tenantId: string, slug: string, result: ApplyResult, context: AuditContext): Promise<void> {
    const { webhooks } = this.deps;
    if (change.action === 'delete') {
      await webhooks.delete(tenantId, change.target, context);
      return;
    }
    if (change.action === 'create') {
      const { webhook, secret } = await webhooks.create(tenantId, { url: change.value.url, events: change.value.events }, context);
      result.webhook_secrets.push({ tenant: slug, id: webhook.id, url: webhook.url, secret });
      return;
    }
    await webhooks.update(tenantId, change.target, {
      ...defined('url', change.fields.url?.to as string | undefined),
      ...defined('events', change.fields.events?.to as string[] | undefined),
    }, context);
  }
}

/** `{ [key]: value }` when the value is given, `{}` otherwise: a patch of only what changed. */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
