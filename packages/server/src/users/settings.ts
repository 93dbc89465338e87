import { SYSTEM, type AuditContext } from '../audit/service.js';
import { InvalidRequest } from '../errors.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import { DEFAULT_END_USER_SETTINGS, END_USER_LIMITS, type EndUserSettings, type TokenMode } from './model.js';

/** The tenant's end-user settings, defaults filled in. */
export function endUserSettings(tenant: Tenant): EndUserSettings {
  return { ...DEFAULT_END_USER_SETTINGS, ...tenant.settings.endUsers };
}

export interface EndUserSettingsDeps {
  tenants: TenantService;
}

/** Changes to a tenant's end-user settings (admin API, CLI), validated and audited here for every entry point. */
export class EndUserSettingsService {
  constructor(private readonly deps: EndUserSettingsDeps) {}

  /** Validates and stores end-user settings; they apply on every node within a poll. */
  async update(slug: string, patch: Partial<EndUserSettings>, context: AuditContext = SYSTEM): Promise<EndUserSettings> {
    const tenant = await this.deps.tenants.get(slug);
    const next = { ...endUserSettings(tenant), ...patch };
    for (const name of ['accessTokenLifetime', 'sessionIdleTimeout', 'sessionAbsoluteLifetime', 'refreshReuseGrace'] as const) {
      const { min, max } = END_USER_LIMITS[name];
      const value = next[name];
      if (!Number.isInteger(value) || value < min || value > max) throw new InvalidRequest(`${name} must be a whole number of seconds from ${min} to ${max}`);
    }
    if (!(['bearer', 'cookie'] as TokenMode[]).includes(next.tokenMode)) throw new InvalidRequest('tokenMode must be bearer or cookie');
    if (!Array.isArray(next.allowedOrigins) || next.allowedOrigins.length > 50) throw new InvalidRequest('allowedOrigins must be a list of at most 50 origins');
    next.allowedOrigins = next.allowedOrigins.map(canonicalOrigin);
    if (next.signup !== 'open' && next.signup !== 'closed') throw new InvalidRequest('signup must be open or closed');
    if (typeof next.requireVerifiedEmail !== 'boolean') throw new InvalidRequest('requireVerifiedEmail must be true or false');
    // Audited as user.settings_updated in the settings' own transaction.
    await this.deps.tenants.storeEndUserSettings(slug, next, context);
    return next;
  }
}

/** `scheme://host[:port]` exactly as browsers send it in the Origin header. */
export function canonicalOrigin(origin: unknown): string {
  if (typeof origin !== 'string') throw new InvalidRequest('each allowed origin must be a string');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new InvalidRequest(`${origin} is not an origin such as https://app.example.com`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin.replace(/\/$/, '')) {
    throw new InvalidRequest(`${origin} is not an origin such as https://app.example.com (scheme, host and port only)`);
  }
  return url.origin;
}
