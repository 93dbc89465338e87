import type { AuditContext, AuditLog } from '../audit/service.js';
import { sha256 } from '../crypto/hash.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import { newId } from '../crypto/random.js';
import { generateToken, hasValidFormat, tokenHint, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { Conflict, NotFound } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { InRevocation } from '../leaks/service.js';
import { LastUsedTimes } from '../store/last-used.js';
import { APP_LIMITS, type App, type AuthMethod, type SecretInfo } from './model.js';
import { readApp, secretStatus, toSecretInfo } from './rows.js';

export interface NewSecret {
  secretId: string;
  /** The plaintext secret: returned once, never stored. */
  clientSecret: string;
  expiresAt: number | null;
}

export interface AppSecretsOptions {
  db: Db;
  /** Seals a copy of the secret for apps that allow signed requests (nothing else is reversible). */
  keyring: MasterKeyring;
  changes: ChangeFeed;
  now: () => number;
  audit: AuditLog;
}

/**
 * Client secrets of apps: add (at most five active), regenerate, list, revoke, and their
 * last-used times. Only SHA-256 hashes are stored, plus a sealed copy while an app allows
 * signed requests; the plaintext is returned once.
 */
export class AppSecrets {
  private readonly lastUsed: LastUsedTimes;

  constructor(private readonly deps: AppSecretsOptions) {
    this.lastUsed = new LastUsedTimes(deps.db, 'app_secrets');
  }

  async add(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext): Promise<NewSecret> {
    const { db, now: clock, changes, audit } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    refuseKeyApp(app);
    const now = clock();
    const secret = await db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('app_secrets').select(['revoked_at', 'expires_at']).where('app_id', '=', app.id).execute();
      if (rows.filter((r) => secretStatus(r, now) === 'active').length >= APP_LIMITS.maxActiveSecrets) {
        throw new Conflict(`an app holds at most ${APP_LIMITS.maxActiveSecrets} active secrets: revoke one first`);
      }
      const created = await this.insert(trx, app, expiresInSeconds === null ? null : now + expiresInSeconds * 1000);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.secret_added', target: clientId, detail: { secret_id: created.secretId, expires_at: created.expiresAt } });
      return created;
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return secret;
  }

  /**
   * "Regenerate": a new secret and every other secret revoked, in one transaction, so the app
   * is never left without a working secret nor with the old ones still valid.
   */
  async regenerate(tenantId: string, clientId: string, expiresInSeconds: number | null, context: AuditContext): Promise<{ secret: NewSecret; revoked: string[] }> {
    const { db, now: clock, changes, audit } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    refuseKeyApp(app);
    const now = clock();
    const result = await db.transaction().execute(async (trx) => {
      const old = await trx.selectFrom('app_secrets').select('id').where('app_id', '=', app.id).where('revoked_at', 'is', null).execute();
      if (old.length > 0) await trx.updateTable('app_secrets').set({ revoked_at: now }).where('id', 'in', old.map((r) => r.id)).execute();
      const created = await this.insert(trx, app, expiresInSeconds === null ? null : now + expiresInSeconds * 1000);
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      // The audit entries and their webhook events commit with the change.
      await audit.recordIn(trx, context, { tenantId, action: 'app.secret_added', target: clientId, detail: { secret_id: created.secretId, expires_at: created.expiresAt, regenerated: true } });
      for (const { id } of old) await audit.recordIn(trx, context, { tenantId, action: 'app.secret_revoked', target: clientId, detail: { secret_id: id } });
      return { secret: created, revoked: old.map((r) => r.id) };
    });
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return result;
  }

  async list(tenantId: string, clientId: string): Promise<SecretInfo[]> {
    const { db, now } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    await this.flushLastUsed();
    const rows = await db.selectFrom('app_secrets').selectAll().where('app_id', '=', app.id).orderBy('created_at').execute();
    const at = now();
    return rows.map((row) => toSecretInfo(row, at));
  }

  async revoke(tenantId: string, clientId: string, secretId: string, context: AuditContext): Promise<SecretInfo> {
    const { db, now: clock } = this.deps;
    const app = await readApp(db, tenantId, clientId);
    const now = clock();
    const row = await db.selectFrom('app_secrets').selectAll().where('app_id', '=', app.id).where('id', '=', secretId).executeTakeFirst();
    if (!row) throw new NotFound(`secret ${secretId} does not exist on app ${clientId}`);
    if (row.revoked_at === null) await this.revokeOnce(tenantId, clientId, secretId, now, context);
    return toSecretInfo({ ...row, revoked_at: row.revoked_at ?? now }, now);
  }

  /**
   * Revokes a secret unless it already is; true for the one caller whose update did it (it alone audits).
   * `alsoIn` runs in the revocation's transaction (leaks/: the credential.leaked entry).
   */
  private async revokeOnce(tenantId: string, clientId: string, secretId: string, now: number, context: AuditContext, alsoIn?: InRevocation): Promise<boolean> {
    const { db, changes, audit } = this.deps;
    const revoked = await db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('app_secrets').set({ revoked_at: now }).where('id', '=', secretId).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await recordChange(trx, { tenantId, entity: 'app', entityId: clientId }, now);
      await audit.recordIn(trx, context, { tenantId, action: 'app.secret_revoked', target: clientId, detail: { secret_id: secretId } });
      await alsoIn?.(trx, { tenantId, id: secretId });
      return true;
    });
    if (!revoked) return false;
    changes.emit({ tenantId, entity: 'app', entityId: clientId });
    return true;
  }

  /**
   * A leaked `kms_` secret (leaks/): revoked through `revoke` when it is active (checksum first,
   * then one indexed read); its tenant and secret id, or null when malformed, unknown, revoked or expired.
   */
  async revokeLeaked(secret: string, context: AuditContext, alsoIn?: InRevocation): Promise<{ tenantId: string; id: string } | null> {
    const { db, now } = this.deps;
    if (!hasValidFormat(secret, TOKEN_PREFIXES.clientSecret)) return null;
    const row = await db.selectFrom('app_secrets').innerJoin('apps', 'apps.id', 'app_secrets.app_id')
      .select(['app_secrets.id', 'app_secrets.tenant_id', 'app_secrets.revoked_at', 'app_secrets.expires_at', 'apps.client_id'])
      .where('app_secrets.secret_hash', '=', sha256(secret)).executeTakeFirst();
    if (!row || secretStatus(row, now()) !== 'active') return null;
    // Concurrent reports of one secret: only the one that revoked it answers for it.
    return (await this.revokeOnce(row.tenant_id, row.client_id, row.id, now(), context, alsoIn)) ? { tenantId: row.tenant_id, id: row.id } : null;
  }

  /** Notes that a secret authenticated a client (last_used_at, written in batches by flushLastUsed). */
  recordUse(secretId: string): void {
    this.lastUsed.record(secretId, this.deps.now());
  }

  /** Writes batched last-used times; called on a timer, never on the request path. */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }

  /** A new secret for `app` inside the caller's transaction (app creation, add, regenerate). */
  async insert(trx: Db, app: App, expiresAt: number | null): Promise<NewSecret> {
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
        sealed_secret: app.authMethods.includes('signed_request') ? this.deps.keyring.seal(secret, `client_secret:${id}`) : null,
        hint: tokenHint(secret),
        created_at: this.deps.now(),
        expires_at: expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    return { secretId: id, clientSecret: secret, expiresAt };
  }
}

/**
 * Keeps sealed secret copies only while signed_request is allowed (see AppService.setAuthMethods).
 * Returns whether the app now allows signed requests but has no active secret with a sealed copy.
 */
export async function applySealing(trx: Db, appId: string, authMethods: AuthMethod[], now: number): Promise<boolean> {
  if (!authMethods.includes('signed_request')) {
    await trx.updateTable('app_secrets').set({ sealed_secret: null }).where('app_id', '=', appId).execute();
    return false;
  }
  const rows = await trx.selectFrom('app_secrets').select(['revoked_at', 'expires_at', 'sealed_secret']).where('app_id', '=', appId).execute();
  return !rows.some((r) => r.sealed_secret !== null && secretStatus(r, now) === 'active');
}

/** A private_key_jwt app has no secrets (RFC 7523 §2.2): adding one is refused, naming the way instead. */
function refuseKeyApp(app: App): void {
  if (app.authMethods.includes('private_key_jwt')) {
    throw new Conflict(`app ${app.clientId} authenticates with private_key_jwt and holds no secret: manage its public keys instead (keymint app keys)`);
  }
}
