import { NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import type { AppRow, AppSecretRow } from '../store/schema.js';
import { parseStringList } from '../util/json.js';
import { limitsFromColumn } from '../limits/model.js';
import type { App, AuthMethod, SecretInfo, SecretStatus, TokenFormat } from './model.js';

export function toApp(row: AppRow): App {
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
    requireDpop: Number(row.require_dpop) === 1,
    status: row.status as App['status'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    limits: limitsFromColumn(row.limits),
  };
}

export function secretStatus(row: Pick<AppSecretRow, 'revoked_at' | 'expires_at'>, now: number): SecretStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && Number(row.expires_at) <= now) return 'expired';
  return 'active';
}

export function toSecretInfo(row: AppSecretRow, now: number): SecretInfo {
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

/** The app `clientId` of a tenant, read from the database (admin paths, never the token path). */
export async function readApp(db: Db, tenantId: string, clientId: string): Promise<App> {
  const row = await db
    .selectFrom('apps')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) throw new NotFound(`app ${clientId} does not exist in this tenant`);
  return toApp(row);
}
