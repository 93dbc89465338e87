import { InvalidRequest } from '../../errors.js';
import type { TenantService } from '../../tenants/service.js';
import { parseDuration } from '../../util/duration.js';

/** Every admin route but sign-in and setup: an admin token or the console session cookie (docs/admin.md). */
export const security: { [name: string]: string[] }[] = [{ adminToken: [] }, { adminSession: [] }];
/** Admin errors are `{error, error_description}` (http/error-body.ts). */
export const config = { errorProfile: 'api' as const };

/** `expires_in` of a secret or API token: seconds or a duration such as "90d"; null when omitted. */
export function expiresIn(value: number | string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = parseDuration(value);
  if (parsed === null || parsed === 0) throw new InvalidRequest('expires_in must be a positive duration such as 3600, 12h or 90d');
  return parsed;
}

/** The slug of an admin's or admin token's tenant; null for one of every tenant. */
export async function slugOf(tenants: Pick<TenantService, 'list'>, tenantId: string | null): Promise<string | null> {
  return tenantId === null ? null : (await tenants.list()).find((t) => t.id === tenantId)?.slug ?? null;
}
