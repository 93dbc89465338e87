import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../errors.js';
import { TENANT_SLUG_PATTERN, type Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant named by the `/t/:tenant` prefix; set before any body is read. */
    tenant: Tenant;
    /** `{PUBLIC_URL}/t/{slug}`: the tenant's issuer. */
    issuer: string;
  }
}

export interface TenantScopeOptions {
  tenants: TenantService;
  publicUrl: () => string;
}

/**
 * The `:tenant` path parameter, read before validation (onRequest hooks run before the route's
 * params schema): undefined on routes without one.
 */
export function tenantSlugParam(params: unknown): string | undefined {
  return typeof params === 'object' && params !== null && 'tenant' in params && typeof params.tenant === 'string' ? params.tenant : undefined;
}

/**
 * Resolves `/t/:tenant` for every route of the plugin it is registered in. Runs on request,
 * before the body is parsed, so requests for unknown tenants cost no parsing.
 */
export function scopeToTenant(app: FastifyInstance, { tenants, publicUrl }: TenantScopeOptions): void {
  app.decorateRequest('tenant', null as unknown as Tenant);
  app.decorateRequest('issuer', '');
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const slug = tenantSlugParam(request.params) ?? '';
    // A slug no tenant can have is unknown without a lookup (and a NUL byte never reaches
    // PostgreSQL, which refuses it as a query parameter: security/fuzz.test.ts).
    const tenant = TENANT_SLUG_PATTERN.test(slug) ? await tenants.findBySlug(slug) : null;
    if (!tenant) throw new NotFound('no such tenant');
    request.tenant = tenant;
    request.issuer = `${publicUrl()}/t/${tenant.slug}`;
    request.realm = request.issuer;
  });
}
