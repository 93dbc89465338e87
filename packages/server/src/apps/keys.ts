import type { JWK } from 'jose';
import type { AuditContext, AuditLog } from '../audit/service.js';
import type { ClientPublicKey } from '../crypto/client-keys.js';
import { newId } from '../crypto/random.js';
import { Conflict, NotFound } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { AppKeyRow } from '../store/schema.js';
import type { App, AppKeyInfo } from './model.js';
import { readApp } from './rows.js';
import { validateJwks } from './validation.js';

export interface AppKeysOptions {
  db: Db;
  changes: ChangeFeed;
  now: () => number;
  audit: AuditLog;
}

export function toKeyInfo(row: Pick<AppKeyRow, 'kid' | 'thumbprint' | 'jwk' | 'created_at'>): AppKeyInfo {
  const jwk = JSON.parse(row.jwk) as { kty: string; alg?: string };
  return { kid: row.kid, thumbprint: row.thumbprint, kty: jwk.kty, alg: jwk.alg ?? null, createdAt: Number(row.created_at) };
}

/**
 * The public keys of private_key_jwt apps (RFC 7523 §2.2): list, add (rotation: add the new key,
 * then remove the old one) and remove, never leaving such an app without a key. Keys are public,
 * so they are stored as JWKs; the token path reads them with the app (clients.ts).
 */
export class AppKeys {
  constructor(private readonly deps: AppKeysOptions) {}

  async list(tenantId: string, clientId: string): Promise<AppKeyInfo[]> {
    const app = await readApp(this.deps.db, tenantId, clientId);
    const rows = await this.deps.db.selectFrom('app_keys').selectAll().where('app_id', '=', app.id).orderBy('created_at').orderBy('kid').execute();
    return rows.map(toKeyInfo);
  }

  /** The app's public keys as stored (crypto/client-keys.ts storedPublicJwk), by kid: what config as code exports. */
  async publicJwks(tenantId: string, clientId: string): Promise<JWK[]> {
    const app = await readApp(this.deps.db, tenantId, clientId);
    const rows = await this.deps.db.selectFrom('app_keys').select('jwk').where('app_id', '=', app.id).orderBy('kid').execute();
    return rows.map((row) => JSON.parse(row.jwk) as JWK);
  }

  /** Adds every key of `jwks` (validated against the app's current keys too), in one change. */
  async add(tenantId: string, clientId: string, jwks: unknown, context: AuditContext): Promise<AppKeyInfo[]> {
    const { db, changes, audit, now: clock } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    if (!app.authMethods.includes('private_key_jwt')) throw new Conflict(`app ${clientId} does not use private_key_jwt: set its auth methods to private_key_jwt with a JWKS first`);
    const now = clock();
    const added = await db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('app_keys').select(['kid', 'thumbprint']).where('app_id', '=', app.id).execute();
      const keys = await validateJwks(jwks, existing);
      await this.insert(trx, app, keys, now);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.keys_added', target: clientId, detail: { kids: keys.map((k) => k.kid) } });
      return keys;
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return this.list(tenantId, clientId);
  }

  /** Removes the key `kid`; the last key of a private_key_jwt app stays (Conflict): add its successor first. */
  async remove(tenantId: string, clientId: string, kid: string, context: AuditContext): Promise<AppKeyInfo[]> {
    const { db, changes, audit, now: clock } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    const now = clock();
    await db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('app_keys').select(['id', 'kid']).where('app_id', '=', app.id).execute();
      const row = rows.find((r) => r.kid === kid);
      if (!row) throw new NotFound(`key ${kid} is not registered on app ${clientId}`);
      if (rows.length === 1 && app.authMethods.includes('private_key_jwt')) {
        throw new Conflict(`key ${kid} is the app's last key: add its successor first (the app would have no way to authenticate)`);
      }
      await trx.deleteFrom('app_keys').where('id', '=', row.id).execute();
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.key_removed', target: clientId, detail: { kid } });
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return this.list(tenantId, clientId);
  }

  /** Inserts validated keys inside the caller's transaction. */
  async insert(trx: Db, app: App, keys: readonly ClientPublicKey[], now: number): Promise<void> {
    if (keys.length === 0) return;
    await trx.insertInto('app_keys').values(keys.map((key) => ({
      id: newId('key'), app_id: app.id, tenant_id: app.tenantId, kid: key.kid, thumbprint: key.thumbprint, jwk: JSON.stringify(key.jwk), created_at: now,
    }))).execute();
  }

  /** Replaces every key of the app inside the caller's transaction (an update that sends a JWKS). */
  async replace(trx: Db, app: App, keys: readonly ClientPublicKey[], now: number): Promise<void> {
    await trx.deleteFrom('app_keys').where('app_id', '=', app.id).execute();
    await this.insert(trx, app, keys, now);
  }
}
